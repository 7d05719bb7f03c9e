import Foundation
import LabKit
import Telemetry
import XCTest

@testable import LabControl

/// The trace search behind the console and Jaeger's `/api/traces`: Jaeger's rule (one span must match
/// every span condition), services, operations, dependencies, and the Jaeger JSON model.
final class TraceSearchTests: XCTestCase {
    var directory: TestDirectory!
    var store: TraceStore!

    override func setUpWithError() throws {
        directory = try TestDirectory()
        store = try TraceStore(directory: directory.url.path)
        // Trace 1 at 0 ms (SELECT fails), trace 2 at 1 s, trace 3 at 2 s, each the same checkout shape;
        // trace 4: a fast health check of another lab.
        for (n, offset) in [(UInt64(1), 0.0), (2, 1000), (3, 2000)] {
            try store.append(TraceFixtures.request(TraceFixtures.checkout(trace: n, offset: offset, namespace: "week07")))
        }
        try store.append(
            TraceFixtures.request([
                TraceFixtures.span(trace: 4, id: 1, name: "GET /healthz", service: "gateway", start: 3000, end: 3001, namespace: "week01")
            ]))
    }

    override func tearDown() {
        store = nil
        directory.remove()
    }

    func testServiceOperationAndDurationMustMatchOneSpan() {
        XCTAssertEqual(store.search(TraceSearch(service: "inventory")).count, 3)
        XCTAssertEqual(store.search(TraceSearch(service: "inventory", operation: "SELECT items")).count, 3)
        // No inventory span is called GET /checkout: service and operation are one span's conditions.
        XCTAssertEqual(store.search(TraceSearch(service: "inventory", operation: "GET /checkout")).count, 0)
        // SELECT lasts 76 ms: at least 70 matches, at least 80 does not (the 100 ms root is frontend's).
        XCTAssertEqual(store.search(TraceSearch(service: "inventory", minDurationNanos: 70_000_000)).count, 3)
        XCTAssertEqual(store.search(TraceSearch(service: "inventory", minDurationNanos: 80_000_000)).count, 0)
        XCTAssertEqual(
            store.search(TraceSearch(service: "frontend", minDurationNanos: 80_000_000, maxDurationNanos: 90_000_000)).count, 3,
            "GET /inventory lasts 80 ms")
    }

    func testTagsErrorsTimeLabLimitAndOrder() {
        XCTAssertEqual(store.search(TraceSearch(tags: ["http.route": "/checkout"])).count, 3)
        XCTAssertEqual(
            store.search(TraceSearch(tags: ["http.route": "/checkout", "error": "true"])).count, 0, "the route span is not the failed one")
        XCTAssertEqual(store.search(TraceSearch(tags: ["db.system": "postgresql", "error": "true"])).count, 3)
        XCTAssertEqual(store.search(TraceSearch(service: "gateway", errorsOnly: true)).count, 0)
        XCTAssertEqual(store.search(TraceSearch(errorsOnly: true)).count, 3)
        XCTAssertEqual(store.search(TraceSearch(lab: "7")).count, 3)
        XCTAssertEqual(store.search(TraceSearch(lab: "week01")).map(\.rootName), ["GET /healthz"])
        // Trace start in [1 s, 2.5 s]: traces 2 and 3, newest first.
        let window = store.search(TraceSearch(startNanos: TraceFixtures.ms(1000), endNanos: TraceFixtures.ms(2500)))
        XCTAssertEqual(window.map(\.traceID), [TraceFixtures.traceID(3), TraceFixtures.traceID(2)])
        XCTAssertEqual(store.search(TraceSearch(limit: 2)).count, 2)
        XCTAssertEqual(store.search(TraceSearch(limit: 1, order: .longest)).first?.rootName, "GET /checkout")
    }

    func testServicesOperationsAndDependencies() {
        XCTAssertEqual(store.services(), ["frontend", "gateway", "inventory"])
        XCTAssertEqual(store.services(lab: "week07"), ["frontend", "inventory"])
        XCTAssertEqual(store.operations(service: "frontend").map(\.name), ["GET /checkout", "GET /inventory", "POST /pay"])
        XCTAssertEqual(store.dependencies(), [ServiceDependency(parent: "frontend", child: "inventory", callCount: 3)])
    }

    func testSearchSurvivesReopeningTheStore() throws {
        store = nil
        let reopened = try TraceStore(directory: directory.url.path, readOnly: true)
        XCTAssertEqual(reopened.search(TraceSearch(service: "inventory", operation: "SELECT items")).count, 3)
    }

    func testJaegerModelOfATrace() throws {
        let trace = try XCTUnwrap(try store.trace(TraceFixtures.traceID(1)))
        let json = JaegerTraceEncoder.encode(trace)
        guard case .object(let t) = json, case .array(let spans)? = t["spans"], case .object(let processes)? = t["processes"] else {
            return XCTFail("not Jaeger's shape: \(json)")
        }
        XCTAssertEqual(t["traceID"], .string(TraceFixtures.traceID(1).hex))
        XCTAssertEqual(spans.count, 4)
        XCTAssertEqual(processes.count, 2, "one process per resource: frontend and inventory")
        let select = try XCTUnwrap(spans.first { if case .object(let s) = $0 { s["operationName"] == "SELECT items" } else { false } })
        guard case .object(let s) = select, case .array(let refs)? = s["references"], case .array(let tags)? = s["tags"] else {
            return XCTFail()
        }
        XCTAssertEqual(
            refs,
            [
                .object([
                    "refType": "CHILD_OF", "traceID": .string(TraceFixtures.traceID(1).hex), "spanID": .string(TraceFixtures.spanID(2).hex),
                ])
            ])
        XCTAssertEqual(s["startTime"], .number(Double(TraceFixtures.ms(12) / 1000)), "microseconds")
        XCTAssertEqual(s["duration"], .number(76_000))
        XCTAssertTrue(tags.contains(.object(["key": "error", "type": "bool", "value": true])))
        XCTAssertTrue(tags.contains(.object(["key": "db.system", "type": "string", "value": "postgresql"])))
        XCTAssertTrue(tags.contains(.object(["key": "otel.status_description", "type": "string", "value": "boom"])))
        // Whole microsecond timestamps are written as integers, not 1.79e+15.
        XCTAssertTrue(json.encodedString().contains("\"startTime\":\(TraceFixtures.ms(12) / 1000)"))
    }
}
