import Foundation
import Telemetry
import XCTest

@testable import LabControl

/// `labctl traces` end to end: the built binary reads a store these tests fill.
final class TracesCommandTests: XCTestCase {
    typealias F = TraceFixtures
    var dir: TestDirectory!
    var storePath: String { dir.url.path + "/traces" }

    override func setUpWithError() throws {
        dir = try TestDirectory("tracescommand")
        let store = try TraceStore(directory: storePath)
        try store.append(F.request(F.checkout(trace: 1, namespace: "week07-circuit-breakers")))
        try store.append(
            F.request([F.span(trace: 2, id: 1, name: "GET /health", service: "api", start: 1_000, end: 1_002, namespace: "week03-retries")])
        )
        try store.append(
            F.request(
                F.checkout(trace: 3, offset: 2_000, namespace: "week07-circuit-breakers").map { s in
                    var s = s
                    s.span.endTimeUnixNano += 500_000_000 // every span half a second longer: the slowest
                    return s
                }))
    }

    override func tearDown() { dir.remove() }

    /// Runs `.build/debug/labctl` (built with the tests) and returns stdout; throws on a non-zero exit.
    func labctl(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = TracePythonPeer.repositoryRoot.appendingPathComponent(".build/debug/labctl").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TracePythonPeer.Failure(description: "\(binary) is missing: build with `swift build --build-tests`")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = dir.url.appendingPathComponent("stdout-\(UUID().uuidString)")
        let err = dir.url.appendingPathComponent("stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
    }

    func testRecentTableNewestFirst() throws {
        let r = try labctl(["traces", "--store", storePath])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").filter { $0.contains(F.traceID(0).hex.prefix(8)) }
        XCTAssertEqual(rows.count, 3, r.stdout)
        XCTAssertTrue(rows[0].contains(F.traceID(3).hex), r.stdout)
        XCTAssertTrue(rows[2].contains(F.traceID(1).hex), r.stdout)
    }

    func testSlowestAndLabAndServiceFilters() throws {
        let slowest = try labctl(["traces", "--store", storePath, "--slowest", "1"])
        XCTAssertEqual(slowest.status, 0, slowest.stderr)
        XCTAssertTrue(slowest.stdout.contains(F.traceID(3).hex), slowest.stdout)
        XCTAssertFalse(slowest.stdout.contains(F.traceID(1).hex), slowest.stdout)

        let lab = try labctl(["traces", "--store", storePath, "--lab", "3"])
        XCTAssertTrue(lab.stdout.contains(F.traceID(2).hex), lab.stdout)
        XCTAssertFalse(lab.stdout.contains(F.traceID(1).hex), lab.stdout)

        let service = try labctl(["traces", "--store", storePath, "--service", "inventory", "--limit", "1"])
        XCTAssertTrue(service.stdout.contains(F.traceID(3).hex), service.stdout)
        XCTAssertFalse(service.stdout.contains(F.traceID(2).hex), service.stdout)
        XCTAssertFalse(service.stdout.contains(F.traceID(1).hex), service.stdout)
    }

    func testWaterfallByIdPrefixAndExportForJaeger() throws {
        // A prefix that is unique: the last characters differ between the fixture ids.
        let export = dir.url.appendingPathComponent("trace.json").path
        let r = try labctl(["traces", "--store", storePath, "--trace", F.traceID(1).hex, "--export", export])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("  GET /inventory"), r.stdout)
        XCTAssertTrue(r.stdout.contains("    SELECT items"), r.stdout)
        XCTAssertTrue(r.stdout.contains("the time went to: inventory"), r.stdout)
        XCTAssertTrue(r.stdout.contains("wrote 1 trace(s), 4 span(s)"), r.stdout)
        let exported = try OTLPJSON.decodeRequest([UInt8](try Data(contentsOf: URL(fileURLWithPath: export))))
        XCTAssertEqual(
            Trace(traceID: F.traceID(1), spans: exported.flattenedSpans).spans,
            Trace(traceID: F.traceID(1), spans: F.checkout(trace: 1, namespace: "week07-circuit-breakers")).spans)

        let ambiguous = try labctl(["traces", "--store", storePath, "--trace", "abcd"])
        XCTAssertNotEqual(ambiguous.status, 0)
        XCTAssertTrue(ambiguous.stderr.contains("3 stored traces start with abcd"), ambiguous.stderr)
        let missing = try labctl(["traces", "--store", storePath, "--trace", "ffff"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("no stored trace has id ffff"), missing.stderr)
    }

    func testEmptyOrMissingStoreSaysSo() throws {
        let r = try labctl(["traces", "--store", dir.url.path + "/nothing-here"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("no traces stored"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.url.path + "/nothing-here"), "a read-only look creates nothing")
    }
}
