import Foundation
import XCTest

@testable import LabControl

/// lab.yaml for deployments: a balancer kind in front of roles, services that start later, memory
/// limits, variant actions and variant infrastructure settings, and load sent to a balancer.
final class BalancerManifestTests: XCTestCase {
    static let valid = """
        week: 10
        slug: blue-green
        title: Blue-green
        services:
          - role: blue
            replicas: 2
            memory_limit: 96MB
          - role: green
            autostart: false
        infrastructure:
          - kind: haproxy
            name: lb
            backends: [blue, green]
            weights: {green: 0, blue-2: 50}
            slow_start: 5s
            health_check: {path: /readyz, interval: 200ms, rise: 2, fall: 3}
            balance: leastconn
        variants:
          before:
            actions:
              - {at: 0s, phase: deploy, terminate: blue}
              - {at: 0s, phase: deploy, start: green}
          after:
            infrastructure:
              lb: {slow_start: 0s}
            actions:
              - {at: 0s, phase: deploy, start: green}
              - {at: 0s, phase: deploy, infra: {name: lb, command: switch, args: {to: green}}}
        scenario:
          target: lb
          requests:
            - {name: order, path: "/orders/{id}"}
          phases:
            - {name: steady, duration: 5s, load: {rate: 50}}
            - {name: deploy, duration: 5s, load: {rate: 50}}
          actions:
            - {at: 1s, phase: deploy, call: {service: blue, path: /ping}}
        """

    func testParsesTheBalancerLateServicesLimitsAndVariantActions() throws {
        let lab = try ManifestParser.parse(yaml: Self.valid)
        XCTAssertEqual(lab.service("blue")?.memoryLimitBytes, 96 << 20)
        XCTAssertEqual(lab.service("blue")?.autostart, true)
        XCTAssertEqual(lab.service("green")?.autostart, false)
        XCTAssertEqual(lab.scenario?.target, "lb")

        let lb = try XCTUnwrap(lab.infrastructure.first)
        XCTAssertEqual(lb.kind.name, "haproxy")
        let settings = BalancerSettings(lb.settings)
        XCTAssertEqual(settings.backends, ["blue", "green"])
        XCTAssertEqual(settings.weight(role: "blue", instance: "blue-1"), 100)
        XCTAssertEqual(settings.weight(role: "blue", instance: "blue-2"), 50)
        XCTAssertEqual(settings.weight(role: "green", instance: "green"), 0)
        XCTAssertEqual(settings.slowStartSeconds, 5)
        XCTAssertEqual(settings.healthCheck, .init(path: "/readyz", intervalSeconds: 0.2, rise: 2, fall: 3))
        XCTAssertEqual(settings.balance, "leastconn")

        // The variant's settings replace the entry's own; its actions join the scenario's, in time order.
        let after = try XCTUnwrap(lab.variants["after"])
        XCTAssertEqual(BalancerSettings(after.settings(of: lb)).slowStartSeconds, 0)
        XCTAssertEqual(BalancerSettings(after.settings(of: lb)).backends, ["blue", "green"])
        let before = try XCTUnwrap(lab.variants["before"])
        XCTAssertEqual(
            try XCTUnwrap(lab.scenario).actions(for: before).map(\.kind),
            [
                .terminate(service: "blue"), .start(service: "green"),
                .call(service: "blue", method: "POST", path: "/ping", body: nil),
            ])
        XCTAssertEqual(try XCTUnwrap(lab.scenario).actions(for: after).map(\.atSeconds), [5, 5, 6])
    }

    func testBalancerMistakesNameTheField() {
        assertError(
            replacing: "backends: [blue, green]", with: "backends: [blue, gren]",
            "lab.yaml:13: field 'infrastructure[0].backends[1]': unknown service 'gren'; did you mean 'green'? (backends are service roles)"
        )
        assertError(
            replacing: "weights: {green: 0, blue-2: 50}", with: "weights: {green: 300}",
            "lab.yaml:14: field 'infrastructure[0].weights.green': a weight is 0...256 (HAProxy's scale), found 300")
        assertError(
            replacing: "weights: {green: 0, blue-2: 50}", with: "weights: {blue-3: 1}",
            prefix: "lab.yaml:14: field 'infrastructure[0].weights.blue-3': 'blue-3' is not behind this balancer")
        assertError(
            replacing: "balance: leastconn", with: "balance: fastest",
            prefix: "lab.yaml:17: field 'infrastructure[0].balance': 'fastest' is not one of roundrobin")
        assertError(
            replacing: "interval: 200ms", with: "interval: 10ms",
            "lab.yaml:16: field 'infrastructure[0].health_check.interval': between 50ms and 60s")
        assertError(
            replacing: "    backends: [blue, green]\n", with: "",
            prefix: "lab.yaml:11: field 'infrastructure[0]': a balancer needs 'backends'")
        assertError(
            replacing: "lb: {slow_start: 0s}", with: "lb: {slow_stat: 0s}",
            prefix: "lab.yaml:25: field 'variants.after.infrastructure.lb.slow_stat': unknown field; did you mean 'slow_start'?")
        assertError(
            replacing: "lb: {slow_start: 0s}", with: "lp: {slow_start: 0s}",
            prefix: "lab.yaml:25: field 'variants.after.infrastructure.lp': unknown infrastructure 'lp'")
    }

    func testServiceAndScenarioMistakesNameTheField() {
        assertError(
            replacing: "memory_limit: 96MB", with: "memory_limit: lots",
            "lab.yaml:7: field 'services[0].memory_limit': 'lots' is not a memory size (write e.g. '96MB', '512k', '1GB')")
        assertError(
            replacing: "memory_limit: 96MB", with: "memory_limit: 1MB",
            "lab.yaml:7: field 'services[0].memory_limit': must be between 4MB and 64GB, found '1MB'")
        assertError(
            replacing: "target: lb", with: "target: lbb",
            prefix: "lab.yaml:30: field 'scenario.target': unknown service or balancer 'lbb'; did you mean 'lb'?")
        assertError(
            replacing: "deploy, start: green}\n  after", with: "deplo, start: green}\n  after",
            prefix: "lab.yaml:22: field 'variants.before.actions[1].phase': unknown phase 'deplo'")
        assertError(
            replacing: "terminate: blue}", with: "terminate: bleu}",
            prefix: "lab.yaml:21: field 'variants.before.actions[0].terminate': unknown service 'bleu'")
    }

    func testRedisCannotBeALoadTarget() {
        let yaml = Self.valid.replacingOccurrences(
            of: "infrastructure:\n  - kind: haproxy", with: "infrastructure:\n  - kind: redis\n  - kind: haproxy"
        )
        .replacingOccurrences(of: "target: lb", with: "target: redis")
        XCTAssertThrowsError(try ManifestParser.parse(yaml: yaml)) { error in
            XCTAssertTrue("\(error)".contains("'redis' is redis infrastructure, which does not serve HTTP"), "\(error)")
        }
    }

    func testMemorySizes() {
        XCTAssertEqual(MemorySize.parse("96MB"), 96 << 20)
        XCTAssertEqual(MemorySize.parse("96m"), 96 << 20)
        XCTAssertEqual(MemorySize.parse("1.5GiB"), 3 << 29)
        XCTAssertEqual(MemorySize.parse("512k"), 512 << 10)
        XCTAssertEqual(MemorySize.parse("4096"), 4096)
        XCTAssertNil(MemorySize.parse("12 parsecs"))
        XCTAssertNil(MemorySize.parse("-5MB"))
        XCTAssertEqual(MemorySize.text(96 << 20), "96 MB")
    }

    private func assertError(
        replacing old: String, with new: String, _ expected: String? = nil, prefix: String? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertTrue(Self.valid.contains(old), "the fixture has no '\(old)'", file: file, line: line)
        let yaml = Self.valid.replacingOccurrences(of: old, with: new)
        XCTAssertThrowsError(try ManifestParser.parse(yaml: yaml), file: file, line: line) { error in
            XCTAssertTrue(error is ManifestError, "\(type(of: error)): \(error)", file: file, line: line)
            if let expected { XCTAssertEqual("\(error)", expected, file: file, line: line) }
            if let prefix { XCTAssertTrue("\(error)".hasPrefix(prefix), "\(error)", file: file, line: line) }
        }
    }
}
