/// `grafana/dashboards/home.json`: Grafana's home page on the Docker path (compose.yaml sets it as
/// the default home dashboard): every lab in the catalog, by week, linking to its dashboard.
public struct HomeDashboardGenerator: Generator {
    public var name: String { "grafana home dashboard" }
    /// DashboardGenerator owns grafana/dashboards (this file included).
    public var ownedDirectories: [String] { [] }
    public static let uid = "distributed-lab-home"
    public static let path = "grafana/dashboards/home.json"

    public init() {}

    public func files(for catalog: LabCatalog) throws -> [GeneratedFile] {
        [GeneratedFile(path: Self.path, contents: try JSONText.render(dashboard(catalog)))]
    }

    func dashboard(_ catalog: LabCatalog) -> [String: Any] {
        var table = "| Week | Lab | What it shows |\n|---:|---|---|\n"
        for entry in catalog.labs {
            let lab = entry.manifest
            let summary = lab.summary.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
            table += "| \(lab.week) | [\(lab.title)](/d/\(DashboardGenerator.uid(for: lab))) | \(summary) |\n"
        }
        let intro = """
            ## Distributed Lab

            Run a lab with `make lab WEEK=<n>`: it starts the lab next to this stack, plays its scenario
            for the `before` and `after` variants and prints the comparison. Open the lab's dashboard
            below; on a latency panel, click an exemplar (a dot) to open that request's trace in
            [Jaeger](http://localhost:16686). Prometheus: [localhost:9090](http://localhost:9090).

            """
        return [
            "uid": Self.uid,
            "title": "Distributed Lab",
            "tags": ["distributed-lab"],
            "editable": false,
            "schemaVersion": 39,
            "version": 1,
            "time": ["from": "now-15m", "to": "now"],
            "templating": ["list": [] as [Any]],
            "annotations": ["list": [] as [Any]],
            "panels": [
                [
                    "id": 1, "type": "text", "title": "Labs",
                    "gridPos": ["h": 6 + 2 * catalog.labs.count, "w": 24, "x": 0, "y": 0],
                    "options": ["mode": "markdown", "content": intro + table],
                ] as [String: Any],
                [
                    "id": 2, "type": "dashlist", "title": "Lab dashboards",
                    "gridPos": ["h": 10, "w": 24, "x": 0, "y": 6 + 2 * catalog.labs.count],
                    "options": [
                        "showStarred": false, "showRecentlyViewed": true, "showSearch": true, "showHeadings": true,
                        "maxItems": 100, "query": "", "tags": ["distributed-lab"], "includeVars": false, "keepTime": false,
                    ] as [String: Any],
                ] as [String: Any],
            ],
        ]
    }
}
