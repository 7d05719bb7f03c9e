import Foundation
import XCTest

@testable import LabControl

/// Experiment files: what parses into which fault and rollback, and bad input named by file, line
/// and field, as in lab.yaml.
final class ChaosExperimentParserTests: XCTestCase {
    static let targets = ChaosTargets(replicas: ["shop": 1, "inventory": 2], proxies: ["redis"])

    static let valid = """
        description: one replica hangs
        steady_state:
          - name: answered
            promql: sum(rate(http_server_request_duration_seconds_count{job="shop"}[3s]))
            at_least: 30
          - name: p99
            promql: histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket[3s])))
            at_most: 1
        fault:
          stop: inventory-1
        duration: 20s
        poll: 500ms
        tolerance: 2
        abort: {when: broken}
        """

    func parse(_ yaml: String) throws -> ChaosExperiment {
        try ChaosExperimentParser.parse(yaml: yaml, file: "experiments/x.yaml", defaultName: "x", targets: Self.targets)
    }

    func error(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> ManifestError? {
        do {
            _ = try parse(yaml)
            XCTFail("parsed without an error", file: file, line: line)
            return nil
        } catch let error as ManifestError {
            return error
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
            return nil
        }
    }

    func testValidExperiment() throws {
        let experiment = try parse(Self.valid)
        XCTAssertEqual(experiment.name, "x")
        XCTAssertEqual(experiment.steadyState.map(\.name), ["answered", "p99"])
        XCTAssertEqual(experiment.steadyState[0].atLeast, 30)
        XCTAssertEqual(experiment.steadyState[1].atMost, 1)
        XCTAssertEqual(experiment.fault, .init(inject: .stop(service: "inventory-1"), rollback: .cont(service: "inventory-1")))
        XCTAssertEqual(experiment.durationSeconds, 20)
        XCTAssertEqual(experiment.pollSeconds, 0.5)
        XCTAssertEqual(experiment.tolerance, 2)
        XCTAssertTrue(experiment.abort.onBreak)
        XCTAssertEqual(experiment.promqlExpressions.map(\.line), [4, 7])
        XCTAssertEqual(experiment.promqlExpressions.first?.field, "steady_state[0].promql")
    }

    func testEachFaultHasItsRollback() throws {
        func fault(_ text: String) throws -> ChaosExperiment.Fault {
            try parse(Self.valid.replacingOccurrences(of: "stop: inventory-1", with: text)).fault
        }
        XCTAssertEqual(try fault("kill: inventory"), .init(inject: .kill(service: "inventory"), rollback: .restart(service: "inventory")))
        XCTAssertEqual(
            try fault("proxy_down: redis"),
            .init(
                inject: .proxyToxic(proxy: "redis", toxic: .object(["type": .string("down")])),
                rollback: .proxyToxic(proxy: "redis", toxic: .object(["type": .string("up")]))))
        XCTAssertEqual(
            try fault("latency: {service: shop, ms: 300}"),
            .init(
                inject: .setFault(service: "shop", fault: .object(["latency": .object(["fixed_ms": .number(300)])])),
                rollback: .clearFault(service: "shop")))
        guard case .proxyToxic("redis", let toxic) = try fault("latency: {proxy: redis, ms: 250}").inject else {
            return XCTFail("a proxy latency is a toxic")
        }
        XCTAssertEqual(
            toxic,
            .object(["name": .string("chaos-latency"), "type": .string("latency"), "attributes": .object(["latency": .number(250)])]))
    }

    func testBadInputNamesFileLineAndField() {
        let cases: [(String, String, String)] = [
            // (replace, with, expected error)
            ("tolerance: 2", "tolerence: 2", "experiments/x.yaml:13: field 'tolerence': unknown field; did you mean 'tolerance'?"),
            (
                "stop: inventory-1", "stop: inventory-3",
                "experiments/x.yaml:10: field 'fault.stop': 'inventory' has 2 replica(s); 'inventory-3' does not exist"
            ),
            (
                "stop: inventory-1", "stop: inventroy",
                "experiments/x.yaml:10: field 'fault.stop': unknown service 'inventroy'; did you mean 'inventory'?; services: inventory, shop"
            ),
            (
                "stop: inventory-1", "proxy_down: postgres",
                "experiments/x.yaml:10: field 'fault.proxy_down': no fault proxy named 'postgres'"
            ),
            (
                "stop: inventory-1", "crash: shop",
                "experiments/x.yaml:10: field 'fault.crash': unknown field; expected one of: kill, stop, latency, proxy_down"
            ),
            (
                "    at_least: 30", "    at_least: thirty",
                "experiments/x.yaml:5: field 'steady_state[0].at_least': expected a number, found 'thirty'"
            ),
            ("    at_most: 1", "", "experiments/x.yaml:6: field 'steady_state[1]': a check needs a bound: at_least, at_most or both"),
            ("duration: 20s", "duration: 20 seconds", "experiments/x.yaml:11: field 'duration': '20 seconds' is not a duration"),
            ("poll: 500ms", "poll: 30s", "experiments/x.yaml:12: field 'poll': is longer than the duration (20s)"),
            (
                "abort: {when: broken}", "abort: {when: sometimes}",
                "experiments/x.yaml:14: field 'abort.when': 'sometimes' is not one of: broken, never"
            ),
            (
                "  - name: p99\n", "  - name: answered\n",
                "experiments/x.yaml:6: field 'steady_state[1].name': check 'answered' is declared twice"
            ),
            ("fault:\n  stop: inventory-1\n", "", "experiments/x.yaml:1: field 'fault': is required"),
            (
                "  stop: inventory-1", "  stop: inventory-1\n  kill: shop",
                "experiments/x.yaml:9: field 'fault': one fault per experiment, found stop and kill"
            ),
        ]
        for (old, new, expected) in cases {
            XCTAssertTrue(Self.valid.contains(old), old)
            guard let error = error(Self.valid.replacingOccurrences(of: old, with: new)) else { continue }
            XCTAssertTrue(error.description.hasPrefix(expected), "\(error.description)\n  expected: \(expected)")
        }
        XCTAssertEqual(error("steady_state: [\n")?.description.hasPrefix("experiments/x.yaml:"), true, "YAML syntax errors name the file")
        XCTAssertEqual(error("")?.description, "experiments/x.yaml:1: the file is empty")
    }

    /// An experiment named by a lab's scenario is parsed with the lab: its errors name the experiment
    /// file, its PromQL joins the lab's promtool check, and `chaos:` measurements refer to it.
    func testLabYamlRunsAnExperimentFromItsFolder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("experiments"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = """
            week: 98
            slug: chaos-test
            title: Chaos test
            services:
              - role: shop
                depends_on: [inventory]
              - role: inventory
                replicas: 2
            variants: {before: {}, after: {}}
            scenario:
              requests: [{path: /x}]
              phases: [{name: chaos, duration: 30s, load: {rate: 10}}]
              actions: [{at: 3s, phase: chaos, chaos: x}]
            measurements:
              - {name: broken, chaos: hypothesis_broken}
              - {name: worst, chaos: "worst:answered", experiment: x}
            expectations:
              - {measurement: broken, check: before == 1}
            """
        try Self.valid.write(to: directory.appendingPathComponent("experiments/x.yaml"), atomically: true, encoding: .utf8)
        let lab = try ManifestParser.parse(yaml: manifest, file: "labs/98-chaos-test/lab.yaml", labDirectory: directory)
        guard case .chaos(let experiment) = lab.scenario?.actions.first?.kind else { return XCTFail("no chaos action") }
        XCTAssertEqual(experiment.fault.inject, .stop(service: "inventory-1"))
        XCTAssertEqual(
            lab.measurements.map(\.source),
            [.chaos(statistic: "hypothesis_broken", experiment: nil), .chaos(statistic: "worst:answered", experiment: "x")])
        XCTAssertTrue(lab.promqlExpressions.contains { $0.file == "labs/98-chaos-test/experiments/x.yaml" && $0.line == 4 })

        try Self.valid.replacingOccurrences(of: "stop: inventory-1", with: "stop: cart")
            .write(to: directory.appendingPathComponent("experiments/x.yaml"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ManifestParser.parse(yaml: manifest, file: "labs/98-chaos-test/lab.yaml", labDirectory: directory)) {
            XCTAssertTrue(
                "\($0)".hasPrefix("labs/98-chaos-test/experiments/x.yaml:10: field 'fault.stop': unknown service 'cart'"), "\($0)")
        }
        try Self.valid.write(to: directory.appendingPathComponent("experiments/x.yaml"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(
            try ManifestParser.parse(
                yaml: manifest.replacingOccurrences(of: "chaos: x}", with: "chaos: y}"), file: "labs/98-chaos-test/lab.yaml",
                labDirectory: directory)
        ) {
            XCTAssertEqual(
                "\($0)",
                "labs/98-chaos-test/lab.yaml:13: field 'scenario.actions[0].chaos': no experiment 'y': labs/98-chaos-test/experiments/y.yaml does not exist"
            )
        }
        XCTAssertThrowsError(
            try ManifestParser.parse(
                yaml: manifest.replacingOccurrences(of: "chaos: hypothesis_broken", with: "chaos: hypothesis_brokn"),
                file: "labs/98-chaos-test/lab.yaml", labDirectory: directory)
        ) {
            XCTAssertTrue(
                "\($0)".hasPrefix(
                    "labs/98-chaos-test/lab.yaml:15: field 'measurements[0].chaos': unknown chaos statistic 'hypothesis_brokn'; did you mean 'hypothesis_broken'?"
                ), "\($0)")
        }
    }
}
