import Foundation
import XCTest

@testable import LabControl

final class ManifestParserTests: XCTestCase {
    /// A valid manifest; tests replace one line of it to make it wrong in one way.
    static let valid = """
        week: 7
        slug: circuit-breakers
        title: Circuit breakers
        services:
          - role: client
            entry: true
            depends_on: [gateway]
          - role: gateway
            replicas: 2
            depends_on: [backend]
            env: {TIMEOUT_MS: 500, VERBOSE: true}
          - role: backend
        infrastructure:
          - kind: redis
            proxied: true
          - kind: zookeeper
        variants:
          before: {description: no breaker}
          after:
            env: {BREAKER: "on"}
            services:
              gateway: {config: {breaker: {failure_rate: 0.5}}}
        scenario:
          requests:
            - {name: item, path: "/items/{id}", weight: 3, keys: {distribution: zipf, s: 1.1, count: 500}}
            - {name: create, method: post, path: /items, body: {name: x}, timeout: 1500ms}
          phases:
            - {name: warmup, duration: 5s, load: {rps: 20}}
            - {name: fault, duration: 1m, load: {users: 8, think_time: 100ms}}
          actions:
            - {at: 10s, phase: fault, set_fault: {service: backend, fault: {latency_ms: 500}}}
            - {at: 20s, phase: fault, kill: gateway-2}
            - {at: 30s, proxy_toxic: {proxy: redis, toxic: {type: latency, latency_ms: 300}}}
            - {at: 40s, set_config: {service: gateway, knobs: {breaker: false}}}
        dashboard:
          panels:
            - {title: Errors, promql: "sum(rate(errors_total[1m]))", unit: reqps}
        measurements:
          - {name: p99, loadgen: p99, request: item, phase: fault}
          - {name: open_ratio, promql: "avg_over_time(circuit_breaker_state[$window])"}
        expectations:
          - {measurement: p99, check: "after < before / 3", why: fail fast}
          - {measurement: open_ratio, check: "after >= 0.5"}
        """

    func testParsesEverySection() throws {
        let lab = try ManifestParser.parse(yaml: Self.valid)
        XCTAssertEqual(lab.week, 7)
        XCTAssertEqual(lab.id, "week07")
        XCTAssertEqual(lab.slug, "circuit-breakers")
        XCTAssertEqual(lab.services.map(\.role), ["client", "gateway", "backend"])
        XCTAssertEqual(lab.entryService?.role, "client")
        XCTAssertEqual(lab.service("gateway")?.replicas, 2)
        XCTAssertEqual(lab.service("gateway")?.env, ["TIMEOUT_MS": "500", "VERBOSE": "true"])
        XCTAssertEqual(ServiceOrder.startOrder(lab.services).map(\.role), ["backend", "gateway", "client"])

        XCTAssertEqual(lab.infrastructure.map(\.kind), [.redis, InfrastructureSpec.Kind("zookeeper")])
        XCTAssertFalse(lab.infrastructure[1].kind.runsNatively)
        XCTAssertTrue(lab.infrastructure[0].proxied)

        XCTAssertEqual(lab.variantNames, ["before", "after"])
        XCTAssertEqual(lab.variants["after"]?.env(for: "gateway"), ["BREAKER": "on"])
        XCTAssertEqual(lab.variants["after"]?.services["gateway"]?.config["breaker"], .object(["failure_rate": .number(0.5)]))

        let scenario = try XCTUnwrap(lab.scenario)
        XCTAssertEqual(scenario.totalSeconds, 65)
        XCTAssertEqual(scenario.phases[0].load, .rate(20))
        XCTAssertEqual(scenario.phases[1].load, .users(8, thinkSeconds: 0.1))
        XCTAssertEqual(scenario.requests[0].keys, KeyDistribution(shape: .zipf(s: 1.1), count: 500))
        XCTAssertEqual(scenario.requests[1].method, "POST")
        XCTAssertEqual(scenario.requests[1].body, #"{"name":"x"}"#)
        XCTAssertEqual(scenario.requests[0].timeoutSeconds, nil)
        XCTAssertEqual(scenario.requests[1].timeoutSeconds, 1.5)
        let plan = LoadPlan(scenario: scenario, target: "http://127.0.0.1:1")
        XCTAssertEqual(plan.phases[0].requests.map(\.timeout), [nil, .milliseconds(1500)])
        XCTAssertEqual(scenario.actions.map(\.atSeconds), [15, 25, 30, 40])
        XCTAssertEqual(scenario.actions[0].kind, .setFault(service: "backend", fault: .object(["latency_ms": .number(500)])))
        XCTAssertEqual(scenario.actions[1].kind, .kill(service: "gateway-2"))
        XCTAssertEqual(scenario.actions[3].kind, .setConfig(service: "gateway", knobs: ["breaker": .bool(false)]))

        XCTAssertEqual(
            lab.dashboard, [DashboardPanel(title: "Errors", promql: "sum(rate(errors_total[1m]))", unit: "reqps", description: nil)])
        XCTAssertEqual(lab.measurements[0].source, .loadgen(stat: "p99", request: "item"))
        XCTAssertEqual(lab.measurements[0].phase, "fault")
        XCTAssertEqual(lab.expectations[0].check, "after < before / 3")
        XCTAssertEqual(lab.expectations[0].parsed.evaluate(["before": 3, "after": 0.9])?.holds, true)
        XCTAssertEqual(lab.expectations[0].parsed.evaluate(["before": 3, "after": 1.1])?.holds, false)
    }

    func testTheSelfTestFixtureParses() throws {
        let url = Fixtures.labsDirectory.appendingPathComponent("00-selftest/lab.yaml")
        let lab = try ManifestParser.load(url)
        XCTAssertEqual(lab.week, 0)
        XCTAssertEqual(lab.id, "selftest")
        XCTAssertEqual(lab.infrastructure.map(\.kind), [.redis, .postgres, .prometheus])
        XCTAssertEqual(lab.infrastructure[1].initSQL, "init.sql")
    }

    // MARK: errors name the line and the field

    func testARequestTimeoutMustBeAPositiveDuration() {
        assertError(
            replacing: "body: {name: x}, timeout: 1500ms", with: "body: {name: x}, timeout: 0s",
            prefix: "lab.yaml:26: field 'scenario.requests[1].timeout': must be longer than zero, found '0s'")
        assertError(
            replacing: "body: {name: x}, timeout: 1500ms", with: "body: {name: x}, timeout: soon",
            prefix: "lab.yaml:26: field 'scenario.requests[1].timeout': 'soon' is not a duration")
    }

    func testUnknownKeySuggestsTheClosestOne() {
        assertError(
            replacing: "    depends_on: [backend]", with: "    depend_on: [backend]",
            "lab.yaml:10: field 'services[1].depend_on': unknown field; did you mean 'depends_on'?")
    }

    func testUnknownTopLevelKeyListsTheAllowedOnes() {
        assertError(
            replacing: "title: Circuit breakers", with: "title: Circuit breakers\nzzz: 1",
            "lab.yaml:4: field 'zzz': unknown field; expected one of: \(ManifestParser.topLevelKeys.joined(separator: ", "))")
    }

    func testWrongType() {
        assertError(
            replacing: "  - role: backend", with: "  - role: [backend]",
            "lab.yaml:12: field 'services[2].role': expected a string, found a list")
        assertError(
            replacing: "    replicas: 2", with: "    replicas: two",
            "lab.yaml:9: field 'services[1].replicas': expected a whole number, found 'two'")
        assertError(
            replacing: "week: 7", with: "week: \"7\"",
            "lab.yaml:1: field 'week': expected a whole number, found '7'")
    }

    func testMissingRequiredField() {
        assertError(
            replacing: "title: Circuit breakers\n", with: "",
            "lab.yaml:1: field 'title': is required")
        assertError(
            replacing: "  - role: backend", with: "  - replicas: 1",
            "lab.yaml:12: field 'services[2].role': is required")
    }

    func testBeforeAndAfterVariantsAreRequired() {
        assertError(
            replacing: "  before: {description: no breaker}", with: "  baseline: {description: no breaker}",
            "lab.yaml:17: field 'variants': variant 'before' is required (every lab has 'before' and 'after')")
    }

    func testReferencesMustPointSomewhere() {
        assertError(
            replacing: "    depends_on: [backend]", with: "    depends_on: [backnd]",
            "lab.yaml:10: field 'services[1].depends_on[0]': unknown service 'backnd'; did you mean 'backend'?")
        assertError(
            replacing: "kill: gateway-2", with: "kill: gateway-3",
            "lab.yaml:32: field 'scenario.actions[1].kill': 'gateway' has 2 replica(s); 'gateway-3' does not exist")
        assertError(
            replacing: "proxy: redis", with: "proxy: postgres",
            "lab.yaml:33: field 'scenario.actions[2].proxy_toxic.proxy': no proxied infrastructure named 'postgres' (mark one 'proxied: true'; proxied: redis)"
        )
        assertError(
            replacing: "check: \"after >= 0.5\"", with: "check: \"aftr >= 0.5\"",
            "lab.yaml:43: field 'expectations[1].check': 'aftr' is not a variant; did you mean 'after'?; variants: after, before")
        assertError(
            replacing: "{measurement: p99,", with: "{measurement: p95,",
            "lab.yaml:42: field 'expectations[0].measurement': unknown measurement 'p95'; did you mean 'p99'?")
    }

    func testDependencyCycle() {
        assertError(
            replacing: "  - role: backend", with: "  - role: backend\n    depends_on: [client]",
            "lab.yaml:7: field 'services[0].depends_on': dependency cycle: client → gateway → backend → client")
    }

    func testBadDurationsAndActionTimes() {
        assertError(
            replacing: "duration: 5s", with: "duration: 5 seconds",
            "lab.yaml:28: field 'scenario.phases[0].duration': '5 seconds' is not a duration (write e.g. '10s', '500ms', '2m')")
        assertError(
            replacing: "{at: 10s, phase: fault,", with: "{at: 2m, phase: fault,",
            "lab.yaml:31: field 'scenario.actions[0].at': 2m is after the end of phase 'fault' (60s)")
    }

    func testBadExpectationSyntax() {
        assertError(
            replacing: "check: \"after >= 0.5\"", with: "check: \"after 0.5\"",
            "lab.yaml:43: field 'expectations[1].check': expected a comparison (<, <=, >, >=, ==, !=) in 'after 0.5'")
    }

    func testOneSourcePerMeasurement() {
        assertError(
            replacing: "{name: p99, loadgen: p99,", with: "{name: p99, loadgen: p99, trace: slowest,",
            "lab.yaml:39: field 'measurements[0]': a measurement has one source, found loadgen and trace")
        assertError(
            replacing: "loadgen: p99,", with: "loadgen: p98,",
            "lab.yaml:39: field 'measurements[0].loadgen': unknown load generator statistic 'p98'; did you mean 'p90'?; one of: \(MeasurementSpec.loadgenStats.joined(separator: ", "))"
        )
    }

    func testYAMLSyntaxErrorNamesTheLine() {
        assertError(
            replacing: "  - role: backend", with: "  - role: backend\n   bad: [",
            prefix: "lab.yaml:13: YAML syntax error")
    }

    func testInitSQLMustExistNextToTheManifest() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let yaml = Self.valid.replacingOccurrences(of: "  - kind: zookeeper", with: "  - kind: postgres\n    init_sql: schema.sql")
        XCTAssertThrowsError(try ManifestParser.parse(yaml: yaml, labDirectory: dir.url)) { error in
            XCTAssertEqual(
                "\(error)",
                "lab.yaml:17: field 'infrastructure[1].init_sql': file 'schema.sql' does not exist (paths are relative to the lab directory)"
            )
        }
        try "CREATE TABLE t (id int);".write(to: dir.url.appendingPathComponent("schema.sql"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try ManifestParser.parse(yaml: yaml, labDirectory: dir.url).infrastructure[1].initSQL, "schema.sql")
    }

    func testTheSchemaExampleInLabsREADMEParses() throws {
        let readme = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("labs/README.md"), encoding: .utf8)
        let start = try XCTUnwrap(readme.range(of: "## The schema\n\n```yaml\n"))
        let end = try XCTUnwrap(readme.range(of: "\n```", range: start.upperBound..<readme.endIndex))
        let lab = try ManifestParser.parse(yaml: String(readme[start.upperBound..<end.lowerBound]), file: "labs/README.md")
        XCTAssertEqual(lab.id, "week07")
        XCTAssertEqual(lab.infrastructure.map(\.name), ["redis", "postgres", "prometheus", "queue", "lb"])
        XCTAssertEqual(lab.scenario?.actions.count, 11)
        XCTAssertEqual(lab.variants["after"]?.actions.count, 1)
        XCTAssertEqual(lab.measurements.map(\.name), ["p99", "breaker_open", "backend_self_time", "p99_ms"])
        XCTAssertEqual(lab.test, TestSpec(durationScale: 0.4, minDurationScale: 0.4, variants: ["before", "after"]))
    }

    // MARK: pieces

    func testExpectationExpressions() throws {
        let e = try ExpectationExpression.parse("after - 0.5 < (before + 1) * 2 / 4")
        XCTAssertEqual(e.variants, ["before", "after"])
        XCTAssertEqual(e.evaluate(["before": 3, "after": 2.4])?.holds, true) // 1.9 < 2
        XCTAssertEqual(e.evaluate(["before": 3, "after": 2.6])?.holds, false) // 2.1 < 2
        XCTAssertNil(e.evaluate(["before": 3]))
        XCTAssertEqual(try ExpectationExpression.parse("before >= 3.5").comparison, .greaterOrEqual)
        XCTAssertThrowsError(try ExpectationExpression.parse("before >= (3"))
    }

    func testDurations() {
        XCTAssertEqual(LabDuration.seconds("10s"), 10)
        XCTAssertEqual(LabDuration.seconds("500ms"), 0.5)
        XCTAssertEqual(LabDuration.seconds("1m30s"), 90)
        XCTAssertEqual(LabDuration.seconds("1.5m"), 90)
        XCTAssertNil(LabDuration.seconds("10"))
        XCTAssertNil(LabDuration.seconds("s"))
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
