import AsyncHTTPClient
import Foundation
import NIOCore
import Telemetry
import XCTest

@testable import LabControl

/// What the store accepts it can read back: OTLP/JSON obeys the protobuf decoder's nesting limit,
/// and a record that does not decode costs nothing but itself.
final class TraceNestingLimitTests: XCTestCase {
    typealias F = TraceFixtures
    var dir: TestDirectory!

    override func setUpWithError() throws { dir = try TestDirectory("nesting") }
    override func tearDown() { dir.remove() }

    /// One span of trace `trace` whose attribute `deep` is `value`.
    static func request(trace: UInt64, value: OTLP.AnyValue) -> OTLP.ExportTraceServiceRequest {
        var span = F.span(trace: trace, id: 1, name: "GET /deep", service: "api", start: 0, end: 1)
        span.span.attributes = [OTLP.KeyValue("deep", value)]
        return F.request([span])
    }

    static func kvlist(nested levels: Int) -> OTLP.AnyValue {
        var value = OTLP.AnyValue.string("leaf")
        for _ in 0..<levels { value = .kvlist([OTLP.KeyValue("k", value)]) }
        return value
    }

    static func array(nested levels: Int) -> OTLP.AnyValue {
        var value = OTLP.AnyValue.string("leaf")
        for _ in 0..<levels { value = .array([value]) }
        return value
    }

    /// Both decoders draw the line at the same depth: OTLP/JSON decodes exactly when the protobuf
    /// of the same request decodes (kvlists add 3 levels, arrays 2; a span attribute starts at 5).
    func testJSONAndProtobufDecodersAcceptTheSameNesting() throws {
        for levels in 25...40 {
            for (kind, value) in [("kvlist", Self.kvlist(nested: levels)), ("array", Self.array(nested: levels + 12))] {
                let request = Self.request(trace: 1, value: value)
                let protobufDecodes = (try? OTLP.ExportTraceServiceRequest(protobuf: request.protobufBytes())) != nil
                let json = OTLPJSON.encode(request)
                let jsonResult = Result { () throws(OTLPJSON.DecodingError) in try OTLPJSON.decodeRequest(json) }
                switch jsonResult {
                case .success(let decoded):
                    XCTAssertTrue(protobufDecodes, "\(kind) \(levels): JSON accepted what protobuf refuses")
                    XCTAssertEqual(decoded, request)
                case .failure(let error):
                    XCTAssertFalse(protobufDecodes, "\(kind) \(levels): JSON refused what protobuf accepts: \(error)")
                    XCTAssertTrue(error.problem.contains("nested deeper than \(OTLP.maxNestingDepth)"), error.description)
                }
            }
        }
        // The edge itself: 31 kvlists put the innermost value at level 98, 32 at 101.
        XCTAssertNoThrow(try OTLPJSON.decodeRequest(OTLPJSON.encode(Self.request(trace: 1, value: Self.kvlist(nested: 31)))))
        XCTAssertThrowsError(try OTLPJSON.decodeRequest(OTLPJSON.encode(Self.request(trace: 1, value: Self.kvlist(nested: 32)))))
    }

    /// Events, links, the resource and the scope carry attributes at other depths; each is held
    /// to the limit where protobuf holds it.
    func testEveryAttributeListIsHeldToTheLimit() throws {
        var base = Self.request(trace: 1, value: .string("x"))
        let tooDeep = [OTLP.KeyValue("deep", Self.kvlist(nested: 32))]
        var cases: [(String, OTLP.ExportTraceServiceRequest)] = []
        var r = base
        r.resourceSpans[0].resource.attributes = tooDeep
        cases.append(("resource", r))
        r = base
        r.resourceSpans[0].scopeSpans[0].scope.attributes = tooDeep
        cases.append(("scope", r))
        r = base
        r.resourceSpans[0].scopeSpans[0].spans[0].events = [OTLP.Event(timeUnixNano: 1, name: "e", attributes: tooDeep)]
        cases.append(("event", r))
        r = base
        r.resourceSpans[0].scopeSpans[0].spans[0].links = [
            OTLP.Link(traceID: F.traceID(2).bytes, spanID: F.spanID(2).bytes, attributes: tooDeep)
        ]
        cases.append(("link", r))
        base.resourceSpans[0].scopeSpans[0].spans[0].attributes = tooDeep
        cases.append(("span", base))
        for (name, request) in cases {
            let protobufDecodes = (try? OTLP.ExportTraceServiceRequest(protobuf: request.protobufBytes())) != nil
            let jsonDecodes = (try? OTLPJSON.decodeRequest(OTLPJSON.encode(request))) != nil
            XCTAssertEqual(jsonDecodes, protobufDecodes, "\(name) attributes: JSON and protobuf disagree")
        }
    }

    /// The store never writes what it could not read back, however the request was decoded.
    func testStoreRefusesARecordItCouldNotReadBack() throws {
        let store = try TraceStore(directory: dir.url.path + "/traces")
        XCTAssertThrowsError(try store.append(Self.request(trace: 1, value: Self.kvlist(nested: 40)))) { error in
            guard case .unreadable(let why) = error as? TraceStoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("nested deeper than 100"), why)
        }
        XCTAssertEqual(store.statistics.traceCount, 0)
        XCTAssertEqual(store.statistics.diskBytes, TraceSegmentFile.header.count, "nothing was written")
    }

    /// A whole record that does not decode (length and checksum intact) is skipped alone: the
    /// records after it are indexed, nothing is truncated, and the skip is reported.
    func testAnUndecodableRecordCostsOnlyItself() throws {
        let directory = dir.url.path + "/traces"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let deep = Self.request(trace: 2, value: Self.kvlist(nested: 40)).protobufBytes() // encodes; does not decode
        var file = TraceSegmentFile.header
        file += TraceSegmentFile.encodeRecord(F.request(F.checkout(trace: 1)).protobufBytes())
        file += TraceSegmentFile.encodeRecord(deep)
        file += TraceSegmentFile.encodeRecord(F.request(F.checkout(trace: 3)).protobufBytes())
        let segment = directory + "/" + TraceSegmentFile.fileName(sequence: 1)
        try Data(file).write(to: URL(fileURLWithPath: segment))

        let reader = try TraceStore(directory: directory, readOnly: true)
        XCTAssertNotNil(try reader.trace(F.traceID(3)), "a reader sees the record after the undecodable one")
        let store = try TraceStore(directory: directory)
        XCTAssertEqual(Set(store.summaries().map(\.traceID)), [F.traceID(1), F.traceID(3)])
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int, file.count, "nothing truncated")
        XCTAssertEqual(store.statistics.recoveryNotes.count, 1)
        XCTAssertTrue(store.statistics.recoveryNotes[0].contains("does not decode"), store.statistics.recoveryNotes[0])
        XCTAssertTrue(store.statistics.recoveryNotes[0].contains("skipped it"), store.statistics.recoveryNotes[0])
        try store.append(F.request(F.checkout(trace: 4)))
        XCTAssertNotNil(try TraceStore(directory: directory, readOnly: true).trace(F.traceID(4)))
    }

    /// Over HTTP: the nested OTLP/JSON span gets a 400 that says why; spans sent after it are stored
    /// and readable by a separate reader (as `labctl traces` opens the store).
    func testReceiverAnswers400ForNestingTheStoreCouldNotReadBack() async throws {
        let directory = dir.url.path + "/traces"
        let receiver = OTLPReceiver(
            store: try TraceStore(directory: directory), configuration: .init(port: 0, forwarder: nil))
        let port = try await receiver.start()
        func post(_ request: OTLP.ExportTraceServiceRequest) async throws -> (Int, String) {
            var http = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/traces")
            http.method = .POST
            http.headers.add(name: "Content-Type", value: "application/json")
            http.body = .bytes(ByteBuffer(bytes: OTLPJSON.encode(request)))
            let response = try await HTTPClient.shared.execute(http, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), String(buffer: body))
        }
        let (deepStatus, deepBody) = try await post(Self.request(trace: 2, value: Self.kvlist(nested: 40)))
        let (afterStatus, _) = try await post(F.request(F.checkout(trace: 3)))
        await receiver.stop()
        XCTAssertEqual(deepStatus, 400, deepBody)
        XCTAssertTrue(deepBody.contains("nested deeper than 100"), deepBody)
        XCTAssertEqual(afterStatus, 200)
        let reader = try TraceStore(directory: directory, readOnly: true)
        XCTAssertNotNil(try reader.trace(F.traceID(3)), "the span sent after the nested one is readable")
        XCTAssertNil(reader.summary(F.traceID(2)))
        XCTAssertEqual(reader.statistics.recoveryNotes, [])
    }
}
