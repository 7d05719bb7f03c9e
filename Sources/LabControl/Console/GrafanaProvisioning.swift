import Foundation
import LabKit

/// A Grafana data-source provisioning file for a native run, written to
/// `<state>/grafana/provisioning/datasources/labctl.yaml`: the lab's Prometheus (through the console,
/// whose `/prometheus` path follows the running lab across restarts and variant switches) and the
/// console's Jaeger query API over the trace store. The uids are the compose stack's (`prometheus`,
/// `jaeger`), so the generated dashboards under `grafana/dashboards/` work unchanged; exemplars link
/// to traces and traces link back to the service's metrics, as in the compose stack.
///
/// Use with a Grafana of one's own: `GF_PATHS_PROVISIONING=<state>/grafana/provisioning grafana-server`
/// (or copy the file into its `provisioning/datasources/`).
public enum GrafanaProvisioning {
    public static func file(in stateDirectory: URL) -> URL {
        stateDirectory.appendingPathComponent("grafana/provisioning/datasources/labctl.yaml")
    }

    public static func yaml(consoleURL: String) -> String {
        let q = { (s: String) in JSONValue.quoted(s, escapingSlashes: false) }
        return """
            # Written by `labctl up`: the native lab's Prometheus and traces for a Grafana of one's own.
            # GF_PATHS_PROVISIONING=<this directory's parent> grafana-server   (see the README: "The lab console")
            apiVersion: 1
            datasources:
              - name: Lab Prometheus (labctl)
                uid: prometheus
                type: prometheus
                access: proxy
                url: \(q(consoleURL + "/prometheus"))
                isDefault: true
                jsonData:
                  httpMethod: GET          # the console forwards GETs only (POSTs are its controls)
                  timeInterval: 1s         # the native runtime scrapes every second
                  exemplarTraceIdDestinations:
                    - name: trace_id
                      datasourceUid: jaeger
              - name: Lab traces (labctl, Jaeger API)
                uid: jaeger
                type: jaeger
                access: proxy
                url: \(q(consoleURL))
                jsonData:
                  tracesToMetrics:
                    datasourceUid: prometheus
                    spanStartTimeShift: "-5m"
                    spanEndTimeShift: "5m"
                    tags:
                      - key: service.name
                        value: job
                    queries:
                      - name: Request rate
                        query: sum(rate(http_server_request_duration_seconds_count{$$__tags}[1m]))
                      - name: p95 latency
                        query: histogram_quantile(0.95, sum by (le) (rate(http_server_request_duration_seconds_bucket{$$__tags}[1m])))

            """
    }

    @discardableResult
    public static func write(consoleURL: String, stateDirectory: URL) throws -> URL {
        let file = file(in: stateDirectory)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try yaml(consoleURL: consoleURL).write(to: file, atomically: true, encoding: .utf8)
        return file
    }
}
