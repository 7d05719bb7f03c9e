#!/usr/bin/env python3
"""Open-loop load for trying `labctl chaos` by hand: RATE requests a second to the shop of the lab
`labctl up` runs (from .lab/endpoints.json), each on its own thread, whatever the answers do.
Usage: python3 labs/28-chaos-engineering/steady_load.py [RATE]   (default 40; Ctrl-C stops it)"""
import json, os, sys, threading, time, urllib.request

state = os.environ.get("LAB_STATE_DIR", ".lab")
shop = json.load(open(os.path.join(state, "endpoints.json")))["services"]["shop"][0]
rate = float(sys.argv[1]) if len(sys.argv) > 1 else 40.0

def get(n):
    try:
        urllib.request.urlopen(f"{shop}/product/{n}", timeout=8).read()
    except Exception:
        pass  # the shop's own metrics count what happened

start, n = time.monotonic(), 0
print(f"{rate:g} requests/s to {shop}/product/{{id}}", flush=True)
while True:
    n += 1
    threading.Thread(target=get, args=(n % 1000,), daemon=True).start()
    time.sleep(max(0.0, start + n / rate - time.monotonic()))
