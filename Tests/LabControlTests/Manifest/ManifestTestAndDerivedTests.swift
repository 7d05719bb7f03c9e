import Foundation
import XCTest

@testable import LabControl

/// The manifest's `test:` section, derived (`expr:`) measurements, the `call`/`infra`/`cont` actions
/// and kind-specific infrastructure settings.
final class ManifestTestAndDerivedTests: XCTestCase {
    static func manifest(_ extra: String = "", measurements: String = "", actions: String = "", infrastructure: String = "") -> String {
        """
        week: 7
        slug: circuit-breakers
        title: Circuit breakers
        services:
          - {role: client, entry: true, depends_on: [backend]}
          - role: backend
        infrastructure:
          - kind: redis
        \(infrastructure)
        variants:
          before: {}
          after: {}
          extra: {}
        scenario:
          requests: [{name: item, path: "/items/{id}"}]
          phases: [{name: steady, duration: 10s, load: {rate: 10}}]
          actions:
            - {at: 1s, kill: backend}
        \(actions)
        measurements:
          - {name: requests, loadgen: requests}
          - {name: errors, loadgen: errors}
        \(measurements)
        expectations:
          - {measurement: requests, check: "after > 0"}
        \(extra)
        """
    }

    func error(_ yaml: String) -> String {
        do {
            _ = try ManifestParser.parse(yaml: yaml)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testTheTestSectionAndItsDefaults() throws {
        XCTAssertEqual(try ManifestParser.parse(yaml: Self.manifest()).test, .default)
        let lab = try ManifestParser.parse(yaml: Self.manifest("test: {duration_scale: 0.4, variants: [before, after]}"))
        XCTAssertEqual(lab.test, TestSpec(durationScale: 0.4, minDurationScale: 0.4, variants: ["before", "after"]))
        let lower = try ManifestParser.parse(yaml: Self.manifest("test: {duration_scale: 0.5, min_duration_scale: 0.3}"))
        XCTAssertEqual(lower.test.minDurationScale, 0.3)
    }

    func testTheTestSectionRejectsWhatVerifyCouldNotRun() {
        XCTAssertTrue(error(Self.manifest("test: {duration_scale: 0}")).contains("field 'test.duration_scale': must be greater than 0"))
        XCTAssertTrue(
            error(Self.manifest("test: {duration_scale: 0.4, min_duration_scale: 0.6}"))
                .contains("field 'test.min_duration_scale': is above duration_scale (0.4)"))
        XCTAssertTrue(error(Self.manifest("test: {variants: [before, aftr]}")).contains("'aftr' is not a variant; did you mean 'after'?"))
        XCTAssertTrue(error(Self.manifest("test: {variants: [before, extra]}")).contains("must include 'before' and 'after'"))
        XCTAssertTrue(error(Self.manifest("test: {scale: 1}")).contains("field 'test.scale': unknown field"))
    }

    func testDerivedMeasurementsUseMeasurementsDeclaredAbove() throws {
        let lab = try ManifestParser.parse(yaml: Self.manifest(measurements: "  - {name: error_share, expr: errors / requests}"))
        guard case .derived(let term)? = lab.measurements.last?.source else { return XCTFail("not derived") }
        XCTAssertEqual(term.variants, ["errors", "requests"])
        var values: [String: MeasurementEvaluator.Value] = ["requests": .number(200), "errors": .number(50)]
        MeasurementEvaluator.derive(lab.measurements, &values)
        XCTAssertEqual(values["error_share"], .number(0.25))
        values = ["requests": .number(200), "errors": .missing("no data")]
        MeasurementEvaluator.derive(lab.measurements, &values)
        XCTAssertEqual(values["error_share"], .missing("needs errors"))
        values = ["requests": .number(0), "errors": .number(0)]
        MeasurementEvaluator.derive(lab.measurements, &values)
        XCTAssertEqual(values["error_share"]?.number, nil, "0/0 is not a number to compare")

        XCTAssertTrue(
            error(Self.manifest(measurements: "  - {name: x, expr: errors / requestz}"))
                .contains("'requestz' is not a measurement declared above this one; did you mean 'requests'?"))
        XCTAssertTrue(error(Self.manifest(measurements: "  - {name: x, expr: errors /}")).contains("field 'measurements[2].expr'"))
        XCTAssertTrue(
            error(Self.manifest(measurements: "  - {name: x, expr: errors, phase: steady}"))
                .contains("a derived measurement takes the phases"))
    }

    func testCallInfraAndContActions() throws {
        let lab = try ManifestParser.parse(
            yaml: Self.manifest(
                actions: [
                    "    - {at: 2s, cont: backend}",
                    "    - {at: 3s, call: {service: backend, path: /admin/deploy, body: {to: green}}}",
                    "    - {at: 4s, infra: {name: redis, command: flush, args: {all: true}}}",
                ].joined(separator: "\n")))
        let kinds = lab.scenario!.actions.map(\.kind)
        XCTAssertEqual(kinds[1], .cont(service: "backend"))
        XCTAssertEqual(kinds[2], .call(service: "backend", method: "POST", path: "/admin/deploy", body: .object(["to": .string("green")])))
        XCTAssertEqual(kinds[3], .infra(name: "redis", command: "flush", arguments: .object(["all": .bool(true)])))
        XCTAssertEqual(ActionExecutor.describe(kinds[2]), #"POST backend/admin/deploy {"to":"green"}"#)

        XCTAssertTrue(error(Self.manifest(actions: "    - {at: 3s, call: {service: backend, path: deploy}}")).contains("must start with /"))
        XCTAssertTrue(
            error(Self.manifest(actions: "    - {at: 3s, call: {service: backend, method: FETCH, path: /x}}")).contains(
                "'FETCH' is not one of"))
        XCTAssertTrue(
            error(Self.manifest(actions: "    - {at: 3s, infra: {name: rediss, command: x}}"))
                .contains("unknown infrastructure 'rediss'; did you mean 'redis'?"))
    }

    func testAKindChecksItsOwnSettings() throws {
        XCTAssertTrue(
            error(Self.manifest(infrastructure: "  - {kind: prometheus, init_sql: x.sql}"))
                .contains("field 'infrastructure[1].init_sql': unknown field"))
        XCTAssertTrue(error(Self.manifest(infrastructure: "  - {kind: postgresql, init_sql: [a, b]}")).contains("expected a string"))
        let lab = try ManifestParser.parse(yaml: Self.manifest(infrastructure: "  - {kind: postgresql, name: orders}"))
        XCTAssertEqual(lab.infrastructure.last?.kind, .postgres, "an alias names the kind")
        XCTAssertEqual(lab.infrastructure.last?.kind.definition?.conventionalURLVariable, "DATABASE_URL")
        let unknown = try ManifestParser.parse(yaml: Self.manifest(infrastructure: "  - kind: kafka"))
        XCTAssertFalse(unknown.infrastructure.last!.kind.runsNatively)
        XCTAssertEqual(NativeSupport.check(unknown).unsupported, ["kafka"])
    }
}
