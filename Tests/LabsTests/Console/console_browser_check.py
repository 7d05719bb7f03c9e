"""The lab console in a real browser: Debian's chromium, headless, driven through Debian's
chromium-driver (WebDriver) by selenium. Run against a console whose lab (week 7) is up.

Usage: console_browser_check.py CONSOLE_URL LAB ARTIFACT_DIR [--screenshots DIR]

Checks, as a person would do them on the pages:
1. home: every lab of the catalog is listed;
2. lab page: "Run scenario" (duration x0.25) runs the scenario; afterwards every panel has data points;
3. clicking an exemplar (a point on a latency chart's canvas) opens a waterfall whose rows are the
   trace's spans, and the page states that span count;
4. setting a latency fault on the entry service from the page raises its latency panel, and clearing it
   brings the panel back down;
5. "Run comparison" (at the lab's test scale) runs before and after; the compare view then shows every
   verdict, and a verdict's link highlights its measurement's chart.
On a failure it saves a screenshot and the page's HTML in ARTIFACT_DIR. With --screenshots it also
saves home.png, lab.png (mid-scenario, a fault marked) and trace.png there, for the README.
"""
import json
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

CONSOLE, LAB, ARTIFACTS = sys.argv[1:4]
SHOTS = sys.argv[sys.argv.index("--screenshots") + 1] if "--screenshots" in sys.argv else None
os.makedirs(ARTIFACTS, exist_ok=True)
started = time.time()


def log(message):
    print(f"[{time.time() - started:6.1f}s] {message}", flush=True)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("LAB_CHROMIUM", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1440,1800", "--lang=en-US"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(os.environ.get("LAB_CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)


driver = browser()


def fail(message):
    name = f"failure-{int(time.time())}"
    driver.save_screenshot(os.path.join(ARTIFACTS, name + ".png"))
    with open(os.path.join(ARTIFACTS, name + ".html"), "w") as f:
        f.write(driver.page_source)
    print(f"FAIL {message} (screenshot: {os.path.join(ARTIFACTS, name + '.png')})", flush=True)
    driver.quit()
    sys.exit(1)


def wait(condition, seconds, what):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.5).until(lambda d: condition())
    except Exception:
        fail(f"timed out after {seconds}s waiting for: {what}")


def state():
    with urllib.request.urlopen(CONSOLE + "/console/api/state", timeout=10) as r:
        return json.loads(r.read())


def wait_idle(seconds, what):
    wait(lambda: state()["busy"] is None, seconds, what)
    error = state()["error"]
    if error:
        fail(f"{what}: the console reports {error}")


def open_lab():
    driver.get(f"{CONSOLE}/labs/{LAB}")
    refreshes = lambda: int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-refreshes") or 0)
    wait(lambda: refreshes() >= 1, 30, "the lab page's first refresh")


def panels():
    cards = driver.find_elements(By.CSS_SELECTOR, "#charts .chart-card")
    return [(c.find_element(By.TAG_NAME, "h3").text, int(c.get_attribute("data-points") or 0), int(c.get_attribute("data-exemplars") or 0)) for c in cards]


def last_value(index):
    return driver.execute_script(
        "const d = window.labCharts[arguments[0]].data.datasets.find(x => !x.isExemplars);"
        "return d && d.data.length ? d.data[d.data.length - 1].y : null;", index)


try:
    # 1. Home.
    driver.get(CONSOLE + "/")
    wait(lambda: driver.find_element(By.TAG_NAME, "body").get_attribute("data-ready"), 20, "the catalog")
    rows = driver.find_elements(By.CSS_SELECTOR, "#catalog tbody tr")
    with urllib.request.urlopen(CONSOLE + "/console/api/catalog", timeout=10) as r:
        expected = len(json.loads(r.read())["labs"])
    if len(rows) != expected or expected == 0:
        fail(f"home lists {len(rows)} labs, the catalog has {expected}")
    log(f"home: {len(rows)} labs listed")
    if SHOTS:
        driver.save_screenshot(os.path.join(SHOTS, "home.png"))

    # 2. Run the scenario from the page; every panel gets data.
    open_lab()
    driver.find_element(By.ID, "run-scale").clear()
    driver.find_element(By.ID, "run-scale").send_keys("1" if SHOTS else "0.25")
    driver.find_element(By.ID, "run").click()
    wait(lambda: state()["busy"] is not None or state()["timeline"]["phases"], 20, "the scenario to start")
    log("scenario started from the page")
    if SHOTS:
        # Mid-scenario (the full-length one), with both of week 7's faults marked.
        wait(lambda: sum("fault on" in a["description"] for a in state()["timeline"]["actions"]) >= 2, 120, "the scenario's second fault")
        time.sleep(8)
        driver.save_screenshot(os.path.join(SHOTS, "lab.png"))
    wait_idle(240, "the scenario run")
    time.sleep(4)  # one more refresh of the panels after the last scrape
    open_lab()
    wait(lambda: all(p[1] > 0 for p in panels()), 30, "data points in every panel: " + ", ".join(f"{t}={n}" for t, n, _ in panels()))
    log("every panel has data points: " + "; ".join(f"{t}: {n}" for t, n, _ in panels()))

    # 3. Click an exemplar on a latency chart's canvas.
    latency = next((i for i, p in enumerate(panels()) if p[2] > 0), None)
    if latency is None:
        fail("no latency panel shows exemplars")
    point = driver.execute_script("""
        const c = window.labCharts[arguments[0]];
        const i = c.data.datasets.findIndex(d => d.isExemplars);
        const meta = c.getDatasetMeta(i);
        const j = c.data.datasets[i].data.length - 1;
        const rect = c.canvas.getBoundingClientRect();
        return {x: meta.data[j].x, y: meta.data[j].y, w: rect.width, h: rect.height, traceID: c.data.datasets[i].data[j].traceID};
    """, latency)
    canvas = driver.find_elements(By.CSS_SELECTOR, "#charts .chart-card canvas")[latency]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
    ActionChains(driver).move_to_element_with_offset(canvas, int(point["x"] - point["w"] / 2), int(point["y"] - point["h"] / 2)).click().perform()
    wait(lambda: "/traces/" in driver.current_url, 15, "the exemplar click to open a trace")
    wait(lambda: driver.find_element(By.TAG_NAME, "body").get_attribute("data-span-count"), 15, "the waterfall")
    trace_id = driver.current_url.rsplit("/", 1)[1]
    rows = driver.find_elements(By.CSS_SELECTOR, "#waterfall .row[data-index]")
    stated = driver.find_element(By.ID, "span-count").text
    with urllib.request.urlopen(f"{CONSOLE}/api/traces/{trace_id}", timeout=10) as r:
        jaeger_spans = len(json.loads(r.read())["data"][0]["spans"])
    if not (len(rows) == jaeger_spans and stated == f"{jaeger_spans} spans"):
        fail(f"waterfall of {trace_id}: {len(rows)} rows, page says '{stated}', the trace has {jaeger_spans} spans")
    log(f"exemplar clicked: trace {trace_id} opened as a waterfall of {len(rows)} spans ('{stated}')")
    if SHOTS:
        driver.save_screenshot(os.path.join(SHOTS, "trace.png"))

    # 4. A latency fault on the entry service, set and cleared from the page.
    open_lab()
    entry = state()["lab"]["services"][-1]["role"]
    titles = [p[0] for p in panels()]
    p50 = next(i for i, t in enumerate(titles) if "p50" in t.lower())
    baseline = last_value(p50)
    Select(driver.find_element(By.ID, "fault-service")).select_by_visible_text(entry)
    Select(driver.find_element(By.ID, "fault-kind")).select_by_value("latency")
    driver.find_element(By.ID, "fault-value").clear()
    driver.find_element(By.ID, "fault-value").send_keys("400")
    # Load for the panel to measure: the scenario again, long enough to see the fault set and cleared.
    driver.find_element(By.ID, "run-scale").clear()
    driver.find_element(By.ID, "run-scale").send_keys("0.5")
    driver.find_element(By.ID, "fault-set").click()
    wait(lambda: any(a["description"].startswith("fault on " + entry) for a in state()["timeline"]["actions"]), 15, "the fault to be recorded")
    driver.find_element(By.ID, "run").click()
    wait(lambda: (last_value(p50) or 0) >= 0.35, 90, f"{titles[p50]} to rise above 350 ms with a 400 ms fault (was {baseline})")
    raised = last_value(p50)
    log(f"latency fault on {entry} set from the page: {titles[p50]} {baseline} s -> {raised} s")
    driver.find_element(By.ID, "fault-clear").click()
    wait(lambda: (last_value(p50) or 1) < 0.2, 90, f"{titles[p50]} to fall after the fault is cleared")
    log(f"fault cleared from the page: {titles[p50]} back to {last_value(p50)} s")
    wait_idle(240, "the second scenario run")

    # 5. A comparison from the page (at the lab's test scale, the page's default), then the compare view.
    driver.find_element(By.ID, "compare").click()
    wait(lambda: state()["busy"] is not None, 20, "the comparison to start")
    log("comparison started from the page")
    wait_idle(600, "the comparison")
    driver.get(CONSOLE + "/compare")
    wait(lambda: driver.find_element(By.TAG_NAME, "body").get_attribute("data-verdicts"), 20, "the compare view")
    verdicts = driver.find_elements(By.CSS_SELECTOR, "#verdicts li.verdict")
    marks = [v.get_attribute("data-mark") for v in verdicts]
    expected = int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-verdicts"))
    if not verdicts or len(verdicts) != expected or not all(m in ("PASS", "FAIL", "SKIP") for m in marks):
        fail(f"compare view shows {len(verdicts)} verdicts {marks}, expected {expected}")
    link = driver.find_element(By.CSS_SELECTOR, "#verdicts a[data-chart]")
    link.click()
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, ".chart-card.flash"), 10, "a verdict's chart link to highlight its chart")
    log(f"compare view: {len(verdicts)} verdicts ({marks.count('PASS')} PASS, {marks.count('FAIL')} FAIL); "
        f"'{driver.find_element(By.ID, 'compare-verdict').text}'; a verdict's link highlights its chart")
    print("browser check passed", flush=True)
finally:
    try:
        driver.quit()
    except Exception:
        pass
