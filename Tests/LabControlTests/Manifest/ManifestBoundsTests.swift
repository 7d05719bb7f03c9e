import Foundation
import LabKit
import XCTest

@testable import LabControl

/// Numbers stay within sane bounds, bytes must be UTF-8, PromQL and trace facts are checked when the
/// catalog loads, and a broken lab is named exactly: each failure names file, line and field.
final class ManifestBoundsTests: XCTestCase {
    let valid = ManifestParserTests.valid

    private func parseError(replacing old: String, with new: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        XCTAssertTrue(valid.contains(old), "the fixture has no '\(old)'", file: file, line: line)
        do {
            _ = try ManifestParser.parse(yaml: valid.replacingOccurrences(of: old, with: new))
            XCTFail("'\(new)' parsed", file: file, line: line)
            return ""
        } catch {
            XCTAssertTrue(error is ManifestError, "\(type(of: error)): \(error)", file: file, line: line)
            return "\(error)"
        }
    }

    // MARK: durations, rates and counts

    func testHugeDurationsRatesAndCountsAreRefusedWithTheirLine() {
        let nines = String(repeating: "9", count: 400)
        XCTAssertEqual(
            parseError(replacing: "duration: 5s", with: "duration: \(nines)s"),
            "lab.yaml:28: field 'scenario.phases[0].duration': '\(String(repeating: "9", count: 40))…' is longer than the limit of 86400s (24h)"
        )
        XCTAssertEqual(
            parseError(replacing: "duration: 5s", with: "duration: 25h"),
            "lab.yaml:28: field 'scenario.phases[0].duration': '25h' is longer than the limit of 86400s (24h)")
        XCTAssertEqual(
            parseError(replacing: "think_time: 100ms", with: "think_time: 1e400s"),
            "lab.yaml:29: field 'scenario.phases[1].load.think_time': '1e400s' is not a duration (write e.g. '10s', '500ms', '2m')")
        XCTAssertEqual(
            parseError(replacing: "load: {rps: 20}", with: "load: {rps: 1e300}"),
            "lab.yaml:28: field 'scenario.phases[0].load.rps': must be at most 100000 requests per second, found 1e+300")
        XCTAssertEqual(
            parseError(replacing: "users: 8,", with: "users: 10000001,"),
            "lab.yaml:29: field 'scenario.phases[1].load.users': must be between 0 and 10000, found 10000001")
        XCTAssertEqual(
            parseError(replacing: "count: 500", with: "count: 9999999999"),
            "lab.yaml:25: field 'scenario.requests[0].keys.count': must be between 1 and 10000000, found 9999999999")
        XCTAssertEqual(
            parseError(replacing: "s: 1.1,", with: "s: 1e308,"),
            "lab.yaml:25: field 'scenario.requests[0].keys.s': must be at most 10, found 1e+308")
        XCTAssertTrue(
            parseError(replacing: "weight: 3", with: "weight: 1e308").hasPrefix(
                "lab.yaml:25: field 'scenario.requests[0].weight': must be at most"))
        XCTAssertTrue(parseError(replacing: "timeout: 1500ms", with: "timeout: 2d").contains("'2d' is not a duration"))
    }

    func testTheDurationScaleIsBounded() {
        XCTAssertNil(LabLimits.problem(withDurationScale: 0.3))
        XCTAssertNil(LabLimits.problem(withDurationScale: 100))
        for bad in [1e30, 0, -1, .nan, .infinity, 0.001, 101] {
            XCTAssertNotNil(LabLimits.problem(withDurationScale: bad), "\(bad)")
        }
    }

    /// The load plan never reaches a trapping conversion, whatever reaches it.
    func testTheLoadPlanNeverTraps() throws {
        let scenario = try XCTUnwrap(try ManifestParser.parse(yaml: valid).scenario)
        for scale in [1e30, .infinity, .nan, -1, 1e-300] {
            let plan = LoadPlan(scenario: scenario, target: "http://127.0.0.1:1", durationScale: scale)
            XCTAssertLessThanOrEqual(plan.duration, .seconds(2 * 365 * 86_400), "\(scale)")
        }
        // The sampler at the edges of the bounds the parser allows.
        var rng = SeededRandomNumberGenerator(seed: 1)
        for (count, exponent) in [(LabLimits.maxKeyCount, LabLimits.maxZipfExponent), (LabLimits.maxKeyCount, 1e-9), (1, 1.0)] {
            let sampler = KeySampler(.zipf(count: count, exponent: exponent))
            for _ in 0..<1_000 { XCTAssertTrue((1...count).contains(sampler.sample(using: &rng))) }
        }
    }

    // MARK: bytes that are not UTF-8

    func testNonUTF8BytesNameTheirLineAndOffset() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        var bytes = Array(valid.utf8)
        let title = try XCTUnwrap(valid.range(of: "title: Circuit breakers"))
        let offset = valid.utf8.distance(from: valid.startIndex, to: title.lowerBound) + "title: ".count
        bytes.insert(contentsOf: [0xFF, 0xFE], at: offset)
        let file = dir.url.appendingPathComponent("lab.yaml")
        try Data(bytes).write(to: file)
        XCTAssertThrowsError(try ManifestParser.load(file, displayName: "labs/07-x/lab.yaml")) { error in
            XCTAssertEqual(
                "\(error)", "labs/07-x/lab.yaml:3: not valid UTF-8: byte 0xFF at offset \(offset) (column 8); save the file as UTF-8")
        }
    }

    /// One lab's bad bytes make that lab broken; the catalog and every other lab keep working.
    func testOneNonUTF8ManifestBreaksOnlyItsLab() throws {
        let root = try TestDirectory()
        defer { root.remove() }
        let labs = try Self.copyFixtureLabs(to: root)
        let manifest = labs.appendingPathComponent("12-message-queues/lab.yaml")
        var bytes = try Data(contentsOf: manifest)
        let title = try XCTUnwrap(bytes.firstRange(of: Data("title: ".utf8)))
        bytes.insert(contentsOf: [0xFF, 0xFE], at: title.upperBound)
        try bytes.write(to: manifest)

        let catalog = try LabCatalog.load(root: labs)
        XCTAssertEqual(catalog.labs.map(\.directoryName), ["00-selftest"])
        XCTAssertEqual(catalog.problems.count, 1)
        XCTAssertTrue(catalog.problems[0].description.hasPrefix("labs/12-message-queues/lab.yaml:"), catalog.problems[0].description)
        XCTAssertTrue(catalog.problems[0].description.contains("not valid UTF-8: byte 0xFF at offset"), catalog.problems[0].description)
        XCTAssertEqual(try catalog.resolve("selftest").directoryName, "00-selftest")
    }

    // MARK: naming broken labs

    func testABrokenLabIsNamedExactlyAndShowsItsOwnError() throws {
        let root = try TestDirectory()
        defer { root.remove() }
        let labs = try Self.copyFixtureLabs(to: root)
        for (directory, week, slug) in [("01-finding-slow-service", 1, "finding-slow-service"), ("02-cache-dies", 2, "cache-dies")] {
            try FileManager.default.createDirectory(at: labs.appendingPathComponent(directory), withIntermediateDirectories: true)
            try "week: \(week)\nslug: \(slug)\ntitle: T\nservices: [{role: Catalog}]\nvariants: {before: {}, after: {}}\n"
                .write(to: labs.appendingPathComponent("\(directory)/lab.yaml"), atomically: true, encoding: .utf8)
        }
        let catalog = try LabCatalog.load(root: labs)
        XCTAssertEqual(catalog.broken.map(\.directoryName), ["01-finding-slow-service", "02-cache-dies"])
        let ownError = "labs/01-finding-slow-service/lab.yaml:4: field 'services[0].role': 'Catalog' is not a valid name"
        for name in ["1", "01", "week01", "WEEK1", "finding-slow-service", "01-finding-slow-service"] {
            XCTAssertThrowsError(try catalog.resolve(name), name) { error in
                XCTAssertTrue("\(error)".hasPrefix(ownError), "\(name): \(error)")
            }
        }
        XCTAssertThrowsError(try catalog.resolve("2")) { error in
            XCTAssertTrue("\(error)".hasPrefix("labs/02-cache-dies/lab.yaml:4:"), "\(error)")
        }
        XCTAssertThrowsError(try catalog.resolve("12-message")) { error in
            XCTAssertTrue("\(error)".hasPrefix("no lab named '12-message'"), "no substring matches: \(error)")
        }
        XCTAssertEqual(try catalog.resolve("12").directoryName, "12-message-queues")
    }

    // MARK: PromQL and trace facts

    func testUnknownTraceFactsAndServicesAreRefused() {
        XCTAssertEqual(
            parseError(
                replacing: "{name: open_ratio, promql: \"avg_over_time(circuit_breaker_state[$window])\"}",
                with: "{name: share, trace: \"self_time_sharez:backend\"}"),
            "lab.yaml:40: field 'measurements[1].trace': unknown trace fact 'self_time_sharez:backend'; did you mean 'self_time_share:'?; "
                + "one of: traces, slowest_seconds, self_time_share:<service>, culprit_is:<service>")
        XCTAssertEqual(
            parseError(
                replacing: "{name: open_ratio, promql: \"avg_over_time(circuit_breaker_state[$window])\"}",
                with: "{name: share, trace: \"culprit_is:backnd\"}"),
            "lab.yaml:40: field 'measurements[1].trace': 'culprit_is:backnd' names no service of this lab; did you mean 'backend'?; "
                + "services: backend, client, gateway")
        XCTAssertNoThrow(
            try ManifestParser.parse(
                yaml: valid.replacingOccurrences(
                    of: "{name: open_ratio, promql: \"avg_over_time(circuit_breaker_state[$window])\"}",
                    with: "{name: open_ratio, trace: \"self_time_share:backend\"}")))
    }

    func testPromQLThatDoesNotParseBreaksItsLabWithFileLineAndField() throws {
        let checker = PromQLChecker.standard
        try XCTSkipIf(checker.promtool == nil, "promtool is not installed (Debian package prometheus)")
        let root = try TestDirectory()
        defer { root.remove() }
        let labs = try Self.copyFixtureLabs(to: root)
        let manifest = labs.appendingPathComponent("00-selftest/lab.yaml")
        let text = try String(contentsOf: manifest, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let index = try XCTUnwrap(lines.firstIndex { $0.contains("promql:") && $0.contains("(") })
        var broken = lines
        broken[index] = Substring(lines[index].replacingOccurrences(of: "(", with: "((", options: [], range: nil))
        try broken.joined(separator: "\n").write(to: manifest, atomically: true, encoding: .utf8)

        let catalog = try LabCatalog.load(root: labs, promql: checker)
        XCTAssertEqual(catalog.labs.map(\.directoryName), ["12-message-queues"], "the other lab still loads")
        let error = try XCTUnwrap(catalog.problems.first)
        XCTAssertEqual(error.file, "labs/00-selftest/lab.yaml")
        XCTAssertEqual(error.line, index + 1)
        XCTAssertTrue(error.field.hasSuffix(".promql"), error.field)
        XCTAssertTrue(error.message.hasPrefix("PromQL does not parse: "), error.message)
        XCTAssertThrowsError(try catalog.resolve("selftest")) { XCTAssertEqual("\($0)", "\(error)") }
    }

    /// Every expression the repository's labs use parses (the check itself passes real PromQL).
    func testEveryLabsPromQLParses() throws {
        let checker = PromQLChecker.standard
        try XCTSkipIf(checker.promtool == nil, "promtool is not installed (Debian package prometheus)")
        let catalog = try LabCatalog.load(root: Fixtures.repositoryRoot.appendingPathComponent("labs"), promql: checker)
        XCTAssertEqual(catalog.problems, [])
        XCTAssertGreaterThan(catalog.labs.flatMap(\.manifest.promqlExpressions).count, 100)
    }

    static func copyFixtureLabs(to root: TestDirectory) throws -> URL {
        let labs = root.url.appendingPathComponent("labs")
        try FileManager.default.copyItem(at: Fixtures.labsDirectory, to: labs)
        return labs
    }
}
