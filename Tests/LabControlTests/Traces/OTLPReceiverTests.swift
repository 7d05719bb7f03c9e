import AsyncHTTPClient
import Foundation
import NIOCore
import Telemetry
import XCTest

@testable import LabControl

/// The receiver over real loopback sockets on free ports.
final class OTLPReceiverTests: XCTestCase {
    typealias F = TraceFixtures
    var dir: TestDirectory!
    var store: TraceStore!
    var receiver: OTLPReceiver!
    var port = 0

    override func setUp() async throws {
        dir = try TestDirectory("otlpreceiver")
        store = try TraceStore(directory: dir.url.path + "/traces")
        receiver = OTLPReceiver(store: store, configuration: .init(port: 0, maxBodyBytes: 64 << 10, forwarder: nil))
        port = try await receiver.start()
    }

    override func tearDown() async throws {
        await receiver?.stop()
        dir?.remove()
    }

    struct Reply {
        var status: Int
        var contentType: String?
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func post(
        _ body: [UInt8], contentType: String?, encoding: String? = nil, port: Int? = nil, headers: [(String, String)] = [],
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port ?? self.port)/v1/traces")
        request.method = .POST
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let encoding { request.headers.add(name: "Content-Encoding", value: encoding) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Reply(
            status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
            body: Array(bytes.readableBytesView))
    }

    func testProtobufIsAcceptedAndStored() async throws {
        let reply = try await post(F.request(F.checkout()).protobufBytes(), contentType: "application/x-protobuf")
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.contentType, "application/x-protobuf")
        XCTAssertEqual(try OTLP.ExportTraceServiceResponse(protobuf: reply.body), OTLP.ExportTraceServiceResponse())
        XCTAssertEqual(try store.trace(F.traceID(1))?.spans, Trace(traceID: F.traceID(1), spans: F.checkout()).spans)
        XCTAssertEqual(receiver.statistics.acceptedSpans, 4)
    }

    func testJSONIsAcceptedAndAnsweredInJSON() async throws {
        let reply = try await post(OTLPJSON.encode(F.request(F.checkout(trace: 2))), contentType: "application/json; charset=utf-8")
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.contentType, "application/json")
        XCTAssertEqual(try OTLPJSON.decodeResponse(reply.body), OTLP.ExportTraceServiceResponse())
        XCTAssertEqual(store.summary(F.traceID(2))?.spanCount, 4)
    }

    func testGzipBodyIsDecompressed() async throws {
        // Compressed by Python's gzip module, not by us.
        let raw = try TracePythonPeer.temporaryFile(F.request(F.checkout(trace: 3)).protobufBytes())
        let gz = try TracePythonPeer.temporaryFile()
        defer {
            try? FileManager.default.removeItem(at: raw)
            try? FileManager.default.removeItem(at: gz)
        }
        try TracePythonPeer.run("codec_peer.py", ["gzip", "6", raw.path, gz.path])
        let reply = try await post([UInt8](try Data(contentsOf: gz)), contentType: "application/x-protobuf", encoding: "gzip")
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(store.summary(F.traceID(3))?.spanCount, 4)

        let unknown = try await post([1, 2, 3], contentType: "application/x-protobuf", encoding: "br")
        XCTAssertEqual(unknown.status, 415)
        XCTAssertTrue(unknown.text.contains("unsupported content encoding \"br\""), unknown.text)
        let broken = try await post([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF], contentType: "application/x-protobuf", encoding: "gzip")
        XCTAssertEqual(broken.status, 400)
        XCTAssertTrue(broken.text.contains("malformed compressed body"), broken.text)
    }

    func testMalformedProtobufIs400WithAMessageAndStoresNothing() async throws {
        var bytes = F.request(F.checkout(trace: 4)).protobufBytes()
        bytes.removeLast(7) // cut inside the last span
        let reply = try await post(bytes, contentType: "application/x-protobuf")
        XCTAssertEqual(reply.status, 400)
        XCTAssertEqual(reply.contentType, "application/x-protobuf")
        // The body is a google.rpc.Status: code 3 (INVALID_ARGUMENT) and a message naming the problem.
        XCTAssertEqual(Array(reply.body.prefix(2)), [0x08, 0x03])
        XCTAssertTrue(reply.text.contains("malformed protobuf at byte"), reply.text)
        XCTAssertTrue(reply.text.contains("resource_spans"), reply.text)
        XCTAssertEqual(store.statistics.traceCount, 0)
        XCTAssertEqual(store.statistics.diskBytes, TraceSegmentFile.header.count, "nothing was written")
    }

    func testMalformedJSONIs400InJSON() async throws {
        let reply = try await post(
            Array(#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"zz"}]}]}]}"#.utf8), contentType: "application/json")
        XCTAssertEqual(reply.status, 400)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any])
        XCTAssertEqual(object["code"] as? Int, 3)
        let message = try XCTUnwrap(object["message"] as? String)
        XCTAssertTrue(message.contains("resourceSpans[0].scopeSpans[0].spans[0].spanId"), message)
        XCTAssertEqual(store.statistics.traceCount, 0)
    }

    func testOversizedBodyIs413() async throws {
        let big = [UInt8](repeating: 0, count: 100 << 10) // limit in setUp is 64 KiB
        let reply = try await post(big, contentType: "application/x-protobuf")
        XCTAssertEqual(reply.status, 413)
        XCTAssertTrue(reply.text.contains("exceeds the limit of 65536 bytes"), reply.text)
        XCTAssertEqual(store.statistics.traceCount, 0)
    }

    func testUnknownContentTypeIs415() async throws {
        let reply = try await post(Array("hello".utf8), contentType: "text/plain")
        XCTAssertEqual(reply.status, 415)
        XCTAssertTrue(reply.text.contains("application/x-protobuf or application/json"), reply.text)
        let none = try await post(Array("hello".utf8), contentType: nil)
        XCTAssertEqual(none.status, 415)
        XCTAssertEqual(receiver.statistics.responsesByStatus[415], 2)
    }

    func testInvalidSpanIdsGetAPartialSuccess() async throws {
        var spans = F.checkout(trace: 5)
        spans[3].span.spanID = [1, 2, 3] // not 8 bytes
        let reply = try await post(F.request(spans).protobufBytes(), contentType: "application/x-protobuf")
        XCTAssertEqual(reply.status, 200)
        let response = try OTLP.ExportTraceServiceResponse(protobuf: reply.body)
        XCTAssertEqual(response.rejectedSpans, 1)
        XCTAssertFalse(response.errorMessage.isEmpty)
        XCTAssertEqual(store.summary(F.traceID(5))?.spanCount, 3)
    }

    func testTakenPortFallsBackToAFreeOne() async throws {
        // `port` is taken by the receiver from setUp; a second receiver asked for it binds elsewhere.
        let otherStore = try TraceStore(directory: dir.url.path + "/other")
        let second = OTLPReceiver(store: otherStore, configuration: .init(port: port, forwarder: nil))
        let secondPort = try await second.start()
        XCTAssertNotEqual(secondPort, port)
        XCTAssertEqual(second.endpoint, "http://127.0.0.1:\(secondPort)")
        let reply = try await post(F.request(F.checkout(trace: 6)).protobufBytes(), contentType: "application/x-protobuf", port: secondPort)
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(otherStore.statistics.traceCount, 1)
        XCTAssertEqual(store.statistics.traceCount, 0)
        await second.stop()

        // Without the fallback, a taken port is an error that says so.
        let strict = OTLPReceiver(store: otherStore, configuration: .init(port: port, fallbackToFreePort: false, forwarder: nil))
        do {
            _ = try await strict.start()
            XCTFail("binding a taken port without fallback should fail")
            await strict.stop()
        } catch {
            XCTAssertTrue("\(error)".contains("could not listen on 127.0.0.1:\(port)"), "\(error)")
        }
    }

    func testStopReleasesThePort() async throws {
        await receiver.stop()
        XCTAssertNil(receiver.port)
        do {
            // AsyncHTTPClient retries refused connections until the deadline, so keep it short.
            _ = try await post(F.request(F.checkout()).protobufBytes(), contentType: "application/x-protobuf", timeout: .seconds(2))
            XCTFail("the receiver still answers after stop()")
        } catch {}
        let again = OTLPReceiver(
            store: try TraceStore(directory: dir.url.path + "/again"),
            configuration: .init(port: port, fallbackToFreePort: false, forwarder: nil))
        let againPort = try await again.start()
        XCTAssertEqual(againPort, port)
        await again.stop()
    }

    func testForwardingSendsTheRawRequestOnAndCountsFailures() async throws {
        // A downstream receiver stands in for a real Collector.
        let downstreamStore = try TraceStore(directory: dir.url.path + "/downstream")
        let downstream = OTLPReceiver(store: downstreamStore, configuration: .init(port: 0, forwarder: nil))
        let downstreamPort = try await downstream.start()
        defer { Task { await downstream.stop() } }

        let forwarder = OTLPForwarder.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(downstreamPort)"])
        XCTAssertEqual(forwarder?.tracesURL, "http://127.0.0.1:\(downstreamPort)/v1/traces")
        let upstreamStore = try TraceStore(directory: dir.url.path + "/upstream")
        let upstream = OTLPReceiver(store: upstreamStore, configuration: .init(port: 0, forwarder: forwarder))
        let upstreamPort = try await upstream.start()
        for trace in 10..<13 {
            let reply = try await post(
                F.request(F.checkout(trace: UInt64(trace))).protobufBytes(), contentType: "application/x-protobuf", port: upstreamPort)
            XCTAssertEqual(reply.status, 200)
        }
        // Forwarding is asynchronous: wait (generously) for the copies to land.
        for _ in 0..<100 where downstreamStore.statistics.traceCount < 3 { try await Task.sleep(for: .milliseconds(100)) }
        XCTAssertEqual(downstreamStore.statistics.traceCount, 3)
        XCTAssertEqual(upstreamStore.statistics.traceCount, 3)
        await upstream.stop()
        XCTAssertEqual(upstream.statistics.forwarding?.forwarded, 3)

        // A dead endpoint: ingestion still succeeds, the failure is counted.
        let deadForwarder = OTLPForwarder(tracesURL: "http://127.0.0.1:\(try FreePort.next())/v1/traces", timeout: .seconds(1))
        let lonely = OTLPReceiver(
            store: try TraceStore(directory: dir.url.path + "/lonely"), configuration: .init(port: 0, forwarder: deadForwarder))
        let lonelyPort = try await lonely.start()
        let reply = try await post(F.request(F.checkout()).protobufBytes(), contentType: "application/x-protobuf", port: lonelyPort)
        XCTAssertEqual(reply.status, 200)
        for _ in 0..<100 where (lonely.statistics.forwarding?.failed ?? 0) == 0 { try await Task.sleep(for: .milliseconds(100)) }
        XCTAssertEqual(lonely.statistics.forwarding?.failed, 1)
        XCTAssertEqual(lonely.statistics.forwarding?.forwarded, 0)
        await lonely.stop()
    }

    func testForwardingToItselfIsRefused() async throws {
        let selfStore = try TraceStore(directory: dir.url.path + "/self")
        let probe = OTLPReceiver(store: selfStore, configuration: .init(port: 0, forwarder: nil))
        let freePort = try await probe.start()
        await probe.stop()
        let looping = OTLPReceiver(
            store: selfStore,
            configuration: .init(
                port: freePort, fallbackToFreePort: false, forwarder: OTLPForwarder(tracesURL: "http://localhost:\(freePort)/v1/traces")))
        _ = try await looping.start()
        let reply = try await post(F.request(F.checkout()).protobufBytes(), contentType: "application/x-protobuf", port: freePort)
        XCTAssertEqual(reply.status, 200)
        XCTAssertNotNil(looping.statistics.forwardingDisabledReason)
        XCTAssertEqual(selfStore.statistics.traceCount, 1)
        await looping.stop()
    }

    /// The official OpenTelemetry Python SDK, through its own OTLP/HTTP exporter, is an independent sender.
    func testOpenTelemetryPythonSDKExportsIntoTheStore() async throws {
        for compression in ["none", "gzip"] {
            let service = "py-\(compression)"
            let stdout = try await Task.detached { [port] in
                try TracePythonPeer.run("otel_sdk_export.py", ["http://127.0.0.1:\(port)", service, compression])
            }.value
            let ids = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], stdout)
            let traceHex = try XCTUnwrap(ids["trace_id"] as? String)
            let traceID = try XCTUnwrap(TraceID(hex: Substring(traceHex)))
            let trace = try XCTUnwrap(try store.trace(traceID), "trace \(traceHex) not in the store")
            XCTAssertEqual(trace.spans.count, 2)
            let parent = try XCTUnwrap(trace.spans.first { $0.spanID?.hex == ids["parent_span_id"] as? String })
            let child = try XCTUnwrap(trace.spans.first { $0.spanID?.hex == ids["child_span_id"] as? String })
            XCTAssertEqual(child.parentSpanID, parent.spanID, "the child links to its parent")
            XCTAssertNil(parent.parentSpanID)
            XCTAssertEqual(parent.serviceName, service)
            XCTAssertEqual(parent.serviceNamespace, "week00-selftest")
            XCTAssertEqual(parent.scope.name, "labctl-tests")
            XCTAssertEqual(parent.span.kind, OTLP.SpanKind.server.rawValue)
            XCTAssertEqual(child.span.kind, OTLP.SpanKind.client.rawValue)
            XCTAssertEqual(parent.attribute("http.route"), "/orders/{id}")
            XCTAssertEqual(parent.span.attributes.first { $0.key == "http.response.status_code" }?.value, .int(200))
            XCTAssertEqual(child.span.attributes.first { $0.key == "db.system" }?.value, .string("postgresql"))
            XCTAssertEqual(child.span.attributes.first { $0.key == "cache.hit_ratio" }?.value, .double(0.25))
            XCTAssertEqual(child.span.attributes.first { $0.key == "retry" }?.value, .bool(true))
            XCTAssertEqual(child.span.events.first?.name, "rows fetched")
            XCTAssertEqual(child.span.status, OTLP.Status(message: "deadlock detected", code: 2))
            XCTAssertLessThanOrEqual(parent.startNanos, child.startNanos)
            XCTAssertGreaterThanOrEqual(parent.endNanos, child.endNanos)
            let summary = try XCTUnwrap(store.summary(traceID))
            XCTAssertEqual(summary.rootName, "GET /orders/{id}")
            XCTAssertEqual(summary.errorCount, 1)
            XCTAssertTrue(TraceQuery(namespace: "0").matches(summary))
        }
    }
}
