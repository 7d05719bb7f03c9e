import Foundation

/// `grafana/dashboards/<lab>/<lab>.json`: the lab's Grafana dashboard, one folder per lab (the
/// provider in grafana/provisioning/dashboards reads folders from the file structure).
///
/// Panels come from the manifest's `dashboard.panels` in order, two per row: its PromQL, unit and
/// description; latency panels (histograms) show exemplars, so a dot on them opens the trace in
/// Jaeger (the Prometheus datasource's `exemplarTraceIdDestinations`). Annotations mark what the
/// scenario did: injected faults (`fault_injection_active`), proxy toxics (`proxy_toxic_active`) and
/// service starts (a variant switch recreates the containers). Ids and the uid derive from the lab,
/// so the output is the same on every run.
public struct DashboardGenerator: Generator {
    public var name: String { "grafana dashboards" }
    /// The lab folders and home.json (HomeDashboardGenerator's file, so not stale).
    public var ownedDirectories: [String] { ["grafana/dashboards"] }

    /// The datasource uids grafana/provisioning/datasources provisions.
    public static let prometheusUID = "prometheus"
    public static let jaegerUID = "jaeger"
    public static let provisionedUIDs: Set<String> = [prometheusUID, jaegerUID]

    public init() {}

    public func files(for catalog: LabCatalog) throws -> [GeneratedFile] {
        try catalog.labs.map { entry in
            GeneratedFile(path: Self.path(entry), contents: try JSONText.render(dashboard(entry.manifest)))
        }
    }

    static func path(_ entry: LabCatalog.Entry) -> String {
        "grafana/dashboards/\(entry.directoryName)/\(entry.directoryName).json"
    }

    /// `lab-week07`: stable, at most 40 characters (Grafana's limit).
    public static func uid(for lab: LabManifest) -> String { String("lab-\(lab.id)".prefix(40)) }

    /// Whether a panel shows a latency distribution (and so exemplars are worth drawing).
    static func isHistogram(_ promql: String) -> Bool {
        promql.contains("histogram_quantile") || promql.contains("_bucket")
    }

    func dashboard(_ lab: LabManifest) -> [String: Any] {
        let datasource: [String: Any] = ["type": "prometheus", "uid": Self.prometheusUID]
        var panels: [[String: Any]] = [introPanel(lab)]
        for (index, panel) in lab.dashboard.enumerated() {
            var defaults: [String: Any] = [
                "unit": panel.unit,
                "custom": ["drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": true],
            ]
            if panel.unit == "percentunit" { defaults["min"] = 0 }
            var item: [String: Any] = [
                "id": index + 2,
                "type": "timeseries",
                "title": panel.title,
                "datasource": datasource,
                "gridPos": ["h": 8, "w": 12, "x": (index % 2) * 12, "y": 4 + (index / 2) * 8],
                "fieldConfig": ["defaults": defaults, "overrides": [] as [Any]],
                "options": [
                    "legend": ["displayMode": "list", "placement": "bottom", "showLegend": true],
                    "tooltip": ["mode": "multi", "sort": "desc"],
                ],
                "targets": [
                    [
                        "refId": "A",
                        "datasource": datasource,
                        "expr": panel.promql,
                        "exemplar": Self.isHistogram(panel.promql),
                        "range": true,
                        "instant": false,
                        "legendFormat": "__auto",
                    ] as [String: Any]
                ],
            ]
            if let description = panel.description { item["description"] = description }
            panels.append(item)
        }
        return [
            "uid": Self.uid(for: lab),
            "title": "Week \(lab.week): \(lab.title)",
            "description": lab.summary,
            "tags": ["distributed-lab", lab.id, lab.slug],
            "editable": false,
            "graphTooltip": 1,
            "refresh": "5s",
            "schemaVersion": 39,
            "version": 1,
            "time": ["from": "now-15m", "to": "now"],
            "timepicker": [:] as [String: Any],
            "timezone": "browser",
            "templating": ["list": [] as [Any]],
            "annotations": ["list": annotations(lab)],
            "links": [
                ["title": "All labs", "type": "link", "url": "/d/\(HomeDashboardGenerator.uid)", "icon": "dashboard"],
                [
                    "title": "Traces (Jaeger)", "type": "link",
                    "url": "http://localhost:16686/search?service=\(lab.entryService?.role ?? "")",
                    "targetBlank": true, "icon": "external link",
                ],
            ],
            "panels": panels,
        ]
    }

    /// The lab's story and variants at the top.
    private func introPanel(_ lab: LabManifest) -> [String: Any] {
        var text = "**\(lab.summary)**\n\n"
        for name in lab.variantNames {
            text += "- `\(name)`: \(lab.variants[name]?.description ?? "")\n"
        }
        text +=
            "\n`make lab WEEK=\(lab.week)` runs the scenario for `before`, then `after`; the guide is `labs/\(String(format: "%02d-%@", lab.week, lab.slug))/README.md`. "
        text += "A dot on a latency panel is an exemplar: click it to open that request's trace in Jaeger."
        return [
            "id": 1, "type": "text", "title": "About this lab",
            "gridPos": ["h": 4, "w": 24, "x": 0, "y": 0],
            "options": ["mode": "markdown", "content": text],
        ]
    }

    func annotations(_ lab: LabManifest) -> [[String: Any]] {
        let datasource: [String: Any] = ["type": "prometheus", "uid": Self.prometheusUID]
        func prometheus(_ name: String, _ expr: String, color: String, title: String, tags: String) -> [String: Any] {
            [
                "name": name, "datasource": datasource, "enable": true, "hide": false, "iconColor": color,
                "expr": expr, "step": "1s", "titleFormat": title, "tagKeys": tags, "textFormat": "",
                "useValueForTime": false,
            ]
        }
        var list: [[String: Any]] = [
            [
                "builtIn": 1, "datasource": ["type": "grafana", "uid": "-- Grafana --"], "enable": true, "hide": true,
                "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
            ]
        ]
        list.append(
            prometheus(
                "Faults", "max by (job, kind) (fault_injection_active{lab=\"\(lab.id)\"}) > 0",
                color: "red", title: "{{kind}} fault on {{job}}", tags: "job,kind"))
        if lab.infrastructure.contains(where: \.proxied) {
            list.append(
                prometheus(
                    "Proxy toxics", "max by (proxy, type) (proxy_toxic_active{lab=\"\(lab.id)\"}) > 0",
                    color: "orange", title: "{{type}} on the {{proxy}} proxy", tags: "proxy,type"))
        }
        list.append(
            prometheus(
                "Service starts (variant switch, restart)",
                "max by (job) (changes(process_start_time_seconds{lab=\"\(lab.id)\"}[10s])) > 0",
                color: "blue", title: "{{job}} started", tags: "job"))
        return list
    }
}

/// Deterministic JSON for generated files: sorted keys, two-space indentation, a final newline.
enum JSONText {
    static func render(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
