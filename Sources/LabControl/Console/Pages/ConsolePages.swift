import Foundation
import Hummingbird

/// The console's pages: small HTML shells; `console.js` fills them from the JSON API. Each page
/// carries the console's token for its controls (see `ConsoleServer`).
struct ConsolePages: Sendable {
    let token: String

    func home() -> Response { page("home", title: "Labs", attributes: [:]) }

    func lab(_ name: String) -> Response { page("lab", title: "Lab", attributes: ["lab": name]) }

    func traces() -> Response { page("traces", title: "Traces", attributes: [:]) }

    func trace(_ id: String) -> Response { page("trace", title: "Trace", attributes: ["trace": id]) }

    func compare() -> Response { page("compare", title: "Compare", attributes: [:]) }

    private func page(_ name: String, title: String, attributes: [String: String]) -> Response {
        let data = attributes.sorted { $0.key < $1.key }.map { " data-\($0.key)=\"\(Self.escape($0.value))\"" }.joined()
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="console-token" content="\(token)">
            <title>\(title) · Distributed Lab console</title>
            <link rel="stylesheet" href="/assets/console.css">
            </head><body data-page="\(name)"\(data)>
            <header class="top">
              <a class="brand" href="/">Distributed Lab</a>
              <nav><a href="/" data-nav="home">Labs</a><a id="nav-lab" href="/" data-nav="lab" hidden>Running lab</a><a href="/traces" data-nav="traces">Traces</a><a href="/compare" data-nav="compare">Compare</a></nav>
              <span id="status" class="status" role="status" aria-live="polite"></span>
            </header>
            <main id="main"><p class="muted">Loading…</p></main>
            <div id="toast" class="toast" role="alert" hidden></div>
            <script src="/assets/chart.min.js"></script>
            <script src="/assets/console.js"></script>
            </body></html>
            """
        return ConsoleHTTP.raw(Data(html.utf8), contentType: "text/html; charset=utf-8")
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// Static files: the console's script and style, and Chart.js from Debian's `libjs-chart.js`.
enum ConsoleAssets {
    /// Where Debian installs Chart.js (`$LAB_CHARTJS` overrides).
    static var chartJSPath: String {
        ProcessInfo.processInfo.environment["LAB_CHARTJS"] ?? "/usr/share/javascript/chart.js/chart.min.js"
    }

    static func response(for file: String) throws -> Response {
        switch file {
        case "console.js": return ConsoleHTTP.raw(Data(ConsoleScript.source.utf8), contentType: "text/javascript; charset=utf-8")
        case "console.css": return ConsoleHTTP.raw(Data(ConsoleStyle.source.utf8), contentType: "text/css; charset=utf-8")
        case "chart.min.js":
            guard let data = FileManager.default.contents(atPath: chartJSPath) else {
                throw ConsoleRequestError(
                    status: 404, "Chart.js is not installed at \(chartJSPath): apt-get install libjs-chart.js (make setup does)")
            }
            return ConsoleHTTP.raw(data, contentType: "text/javascript; charset=utf-8", cache: true)
        default:
            throw ConsoleRequestError(status: 404, parameter: "file", "no asset '\(file)'")
        }
    }
}
