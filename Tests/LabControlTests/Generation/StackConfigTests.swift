import Foundation
import XCTest
import Yams

@testable import LabControl

/// The Docker path's static checks: dashboards, Prometheus configuration and rules, the Collector
/// configuration, for every lab in the catalog (new labs are covered without editing this file).
final class StackConfigTests: XCTestCase {
    // MARK: Grafana

    /// The datasource uids grafana/provisioning/datasources provisions.
    func provisionedDatasourceUIDs(_ root: URL) throws -> Set<String> {
        let text = try String(contentsOf: root.appendingPathComponent("grafana/provisioning/datasources/datasources.yaml"), encoding: .utf8)
        let yaml = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        let datasources = try XCTUnwrap(yaml["datasources"] as? [[String: Any]])
        return Set(datasources.compactMap { $0["uid"] as? String })
    }

    /// Every `datasource` object anywhere in a dashboard.
    func datasourceUIDs(in value: Any) -> [String] {
        if let object = value as? [String: Any] {
            var found: [String] = []
            if let datasource = object["datasource"] as? [String: Any], let uid = datasource["uid"] as? String { found.append(uid) }
            for (_, child) in object { found += datasourceUIDs(in: child) }
            return found
        }
        if let array = value as? [Any] { return array.flatMap(datasourceUIDs(in:)) }
        return []
    }

    func testEveryDashboardParsesUsesProvisionedDatasourcesAndUniquePanelIDs() throws {
        let stack = try GeneratedStack()
        defer { stack.remove() }
        let provisioned = try provisionedDatasourceUIDs(stack.root)
        XCTAssertEqual(provisioned, DashboardGenerator.provisionedUIDs)
        var uids = Set<String>()
        let paths = Generation.filesBelow("grafana/dashboards", root: stack.root)
        XCTAssertEqual(paths.count, stack.catalog.labs.count + 1, "one per lab and home.json: \(paths)")
        for path in paths {
            let data = try Data(contentsOf: stack.url(path))
            let dashboard = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(path) is a JSON object")
            let uid = try XCTUnwrap(dashboard["uid"] as? String, path)
            XCTAssertTrue(uids.insert(uid).inserted, "\(path): uid \(uid) is used twice")
            XCTAssertLessThanOrEqual(uid.count, 40)
            for used in datasourceUIDs(in: dashboard) where used != "-- Grafana --" {
                XCTAssertTrue(provisioned.contains(used), "\(path): datasource uid '\(used)' is not provisioned")
            }
            let panels = try XCTUnwrap(dashboard["panels"] as? [[String: Any]], path)
            let ids = panels.compactMap { $0["id"] as? Int }
            XCTAssertEqual(ids.count, panels.count, "\(path): every panel has an id")
            XCTAssertEqual(Set(ids).count, ids.count, "\(path): panel ids are unique")
        }
    }

    func testLabDashboardsCarryTheManifestPanelsWithUnitsExemplarsAndAnnotations() throws {
        let stack = try GeneratedStack()
        defer { stack.remove() }
        for entry in stack.catalog.labs {
            let lab = entry.manifest
            let data = try Data(contentsOf: stack.url(DashboardGenerator.path(entry)))
            let dashboard = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            XCTAssertEqual(dashboard["uid"] as? String, "lab-\(lab.id)")
            let panels = (dashboard["panels"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "timeseries" }
            XCTAssertEqual(panels.count, lab.dashboard.count, entry.directoryName)
            for (panel, spec) in zip(panels, lab.dashboard) {
                XCTAssertEqual(panel["title"] as? String, spec.title)
                let target = try XCTUnwrap((panel["targets"] as? [[String: Any]])?.first)
                XCTAssertEqual(target["expr"] as? String, spec.promql)
                XCTAssertEqual(
                    target["exemplar"] as? Bool, spec.promql.contains("histogram_quantile") || spec.promql.contains("_bucket"),
                    "\(entry.directoryName) / \(spec.title): exemplars on latency panels only")
                let defaults = (panel["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any]
                XCTAssertEqual(defaults?["unit"] as? String, spec.unit)
                XCTAssertEqual(panel["description"] as? String, spec.description)
            }
            let annotations = ((dashboard["annotations"] as? [String: Any])?["list"] as? [[String: Any]]) ?? []
            XCTAssertTrue(
                annotations.contains { ($0["expr"] as? String)?.contains("fault_injection_active{lab=\"\(lab.id)\"}") == true },
                "\(entry.directoryName): the fault annotation")
        }
        // The home dashboard links every lab.
        let home = try String(contentsOf: stack.url(HomeDashboardGenerator.path), encoding: .utf8)
        for entry in stack.catalog.labs {
            XCTAssertTrue(home.contains("(/d/lab-\(entry.manifest.id))"), "home links \(entry.directoryName)")
        }
    }

    func testDashboardsAreProvisionedFromTheFolderComposeMounts() throws {
        let root = GeneratedStack.repositoryRoot
        let provider = try XCTUnwrap(
            try Yams.load(
                yaml: String(contentsOf: root.appendingPathComponent("grafana/provisioning/dashboards/dashboards.yaml"), encoding: .utf8))
                as? [String: Any])
        let first = try XCTUnwrap((provider["providers"] as? [[String: Any]])?.first)
        let path = try XCTUnwrap((first["options"] as? [String: Any])?["path"] as? String)
        XCTAssertEqual((first["options"] as? [String: Any])?["foldersFromFilesStructure"] as? Bool, true, "one folder per lab")
        let compose = try String(contentsOf: root.appendingPathComponent("compose.yaml"), encoding: .utf8)
        XCTAssertTrue(compose.contains("./grafana/dashboards:\(path):ro"), "compose mounts grafana/dashboards at \(path)")
        XCTAssertTrue(compose.contains("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: \(path)/home.json"))
    }

    // MARK: Prometheus

    func testPromtoolAcceptsTheComposePrometheusConfigTargetsAndRules() throws {
        guard let promtool = GeneratedStack.which("promtool") else {
            throw XCTSkip("promtool is not installed (Debian package prometheus)")
        }
        let stack = try GeneratedStack()
        defer { stack.remove() }
        // The config names the container's paths; point them at the stack's files so promtool
        // also reads every generated targets file and every rule file.
        let config = try String(contentsOf: stack.url("prometheus/prometheus.compose.yml"), encoding: .utf8)
            .replacingOccurrences(of: "/etc/prometheus/", with: stack.url("prometheus").path + "/")
        let local = stack.url("prometheus/prometheus.local.yml")
        try config.write(to: local, atomically: true, encoding: .utf8)
        let (status, output) = try stack.run(promtool, ["check", "config", local.path])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("SUCCESS"), output)

        let rules = Generation.filesBelow("prometheus/rules", root: stack.root).filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }
        XCTAssertFalse(rules.isEmpty, "prometheus/rules has rule files")
        let (rulesStatus, rulesOutput) = try stack.run(promtool, ["check", "rules"] + rules)
        XCTAssertEqual(rulesStatus, 0, rulesOutput)

        // A broken targets file is caught by the same check (so the check does read them).
        try "[{\"targets\": \"not a list\"}]\n".write(to: stack.url("prometheus/targets/99-broken.json"), atomically: true, encoding: .utf8)
        let (brokenStatus, brokenOutput) = try stack.run(promtool, ["check", "config", local.path])
        XCTAssertNotEqual(brokenStatus, 0, brokenOutput)
    }

    // MARK: OpenTelemetry Collector

    /// Component types in otel/opentelemetry-collector-contrib 0.111.0 that this stack may use.
    static let collectorComponents: [String: Set<String>] = [
        "receivers": ["otlp", "prometheus", "hostmetrics", "jaeger", "zipkin"],
        "processors": [
            "batch", "memory_limiter", "attributes", "resource", "filter", "transform", "tail_sampling", "probabilistic_sampler",
        ],
        "exporters": ["otlp", "otlphttp", "prometheus", "prometheusremotewrite", "debug", "file"],
        "connectors": ["spanmetrics", "servicegraph", "forward", "count"],
        "extensions": ["health_check", "pprof", "zpages"],
    ]

    func testCollectorConfigIsConsistentAndAvoidsSettingsDeprecatedIn0_111() throws {
        let text = try String(
            contentsOf: GeneratedStack.repositoryRoot.appendingPathComponent("observability/otel-collector.yaml"), encoding: .utf8)
        let config = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        XCTAssertEqual(Set(config.keys).subtracting(["receivers", "processors", "exporters", "connectors", "extensions", "service"]), [])
        var defined: [String: Set<String>] = [:]
        for (section, types) in Self.collectorComponents {
            let names = Set((config[section] as? [String: Any] ?? [:]).keys)
            defined[section] = names
            for name in names {
                let type = String(name.split(separator: "/")[0])
                XCTAssertTrue(types.contains(type), "\(section).\(name): '\(type)' is not a \(section.dropLast()) of contrib 0.111.0")
            }
        }
        let service = try XCTUnwrap(config["service"] as? [String: Any])
        for extensionName in service["extensions"] as? [String] ?? [] {
            XCTAssertTrue(defined["extensions"]!.contains(extensionName), "service.extensions: \(extensionName) is not defined")
        }
        let pipelines = try XCTUnwrap(service["pipelines"] as? [String: [String: Any]])
        var connectorsAsExporter = Set<String>()
        var connectorsAsReceiver = Set<String>()
        for (name, pipeline) in pipelines {
            XCTAssertTrue(["traces", "metrics", "logs"].contains(String(name.split(separator: "/")[0])), "pipeline \(name)")
            let receivers = pipeline["receivers"] as? [String] ?? []
            XCTAssertFalse(receivers.isEmpty, "pipeline \(name) has receivers")
            for receiver in receivers {
                if defined["connectors"]!.contains(receiver) {
                    connectorsAsReceiver.insert(receiver)
                    continue
                }
                XCTAssertTrue(defined["receivers"]!.contains(receiver), "pipeline \(name): receiver \(receiver) is not defined")
            }
            for processor in pipeline["processors"] as? [String] ?? [] {
                XCTAssertTrue(defined["processors"]!.contains(processor), "pipeline \(name): processor \(processor) is not defined")
            }
            if let processors = pipeline["processors"] as? [String], processors.contains("memory_limiter") {
                XCTAssertEqual(processors.first, "memory_limiter", "pipeline \(name): memory_limiter comes first")
            }
            let exporters = pipeline["exporters"] as? [String] ?? []
            XCTAssertFalse(exporters.isEmpty, "pipeline \(name) has exporters")
            for exporter in exporters {
                if defined["connectors"]!.contains(exporter) {
                    connectorsAsExporter.insert(exporter)
                    continue
                }
                XCTAssertTrue(defined["exporters"]!.contains(exporter), "pipeline \(name): exporter \(exporter) is not defined")
            }
        }
        XCTAssertEqual(connectorsAsExporter, defined["connectors"]!, "every connector ends a pipeline")
        XCTAssertEqual(connectorsAsReceiver, defined["connectors"]!, "every connector starts a pipeline")
        // Deprecated or removed by 0.111.0.
        let metrics = (service["telemetry"] as? [String: Any])?["metrics"] as? [String: Any] ?? [:]
        XCTAssertNil(metrics["address"], "service.telemetry.metrics.address is deprecated in 0.111.0: use readers")
        XCTAssertNil((config["exporters"] as? [String: Any])?["logging"], "the logging exporter is deprecated: use debug")
        XCTAssertNil((config["extensions"] as? [String: Any])?["memory_ballast"], "memory_ballast was removed")
        XCTAssertNil(((config["processors"] as? [String: Any])?["memory_limiter"] as? [String: Any])?["ballast_size_mib"])
        // Traces reach Jaeger over OTLP (Jaeger's own exporter was removed from contrib in 0.85).
        let jaeger = (config["exporters"] as? [String: Any])?["otlp/jaeger"] as? [String: Any]
        XCTAssertEqual(jaeger?["endpoint"] as? String, "jaeger:4317")
        // The ports compose publishes are the ones the receivers listen on.
        let http =
            (((config["receivers"] as? [String: Any])?["otlp"] as? [String: Any])?["protocols"] as? [String: Any])?["http"]
            as? [String: Any]
        XCTAssertEqual(http?["endpoint"] as? String, "0.0.0.0:4318")
        XCTAssertEqual(ComposeLayout.otlpEndpoint, "http://otel-collector:4318")
    }
}
