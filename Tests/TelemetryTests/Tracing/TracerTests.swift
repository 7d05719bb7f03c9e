import Logging
import Tracing
import XCTest

@testable import Telemetry

struct Boom: Error, CustomStringConvertible {
    var description: String { "the database is on fire" }
}

final class TracerTests: XCTestCase {
    private func makeTracer(sampler: any Sampler = Samplers.default) -> (TelemetryTracer, InMemorySpanProcessor) {
        let recorder = InMemorySpanProcessor()
        return (TelemetryTracer(sampler: sampler, processor: recorder), recorder)
    }

    func testChildSpansFindTheirParentThroughTheTaskLocalContext() async throws {
        let (tracer, recorder) = makeTracer()
        await tracer.withSpan("parent", context: .topLevel) { parent in
            tracer.withSpan("child") { _ in }
            await Task { tracer.withSpan("child-in-task") { _ in } }.value // tasks inherit task-locals
        }
        let spans = recorder.finishedSpans
        XCTAssertEqual(spans.map(\.name), ["child", "child-in-task", "parent"])
        let parent = spans[2]
        XCTAssertEqual(parent.parentSpanID, [], "a root span has no parent")
        for child in spans.prefix(2) {
            XCTAssertEqual(child.traceID, parent.traceID)
            XCTAssertEqual(child.parentSpanID, parent.spanID)
            XCTAssertNotEqual(child.spanID, parent.spanID)
            XCTAssertEqual(child.flags, 0x101, "sampled, parent known to be local")
        }
        XCTAssertEqual(parent.traceID.count, 16)
        XCTAssertEqual(parent.spanID.count, 8)
        XCTAssertGreaterThanOrEqual(parent.endTimeUnixNano, parent.startTimeUnixNano)
    }

    func testContextReadsBackAsTheSpansContext() throws {
        let (tracer, _) = makeTracer()
        let span = tracer.startSpan("op", context: .topLevel)
        XCTAssertEqual(span.context.spanContext, span.spanContext)
        XCTAssertTrue(span.isRecording)
        span.end()
    }

    func testExtractThenInjectContinuesTheCallersTrace() throws {
        let (tracer, recorder) = makeTracer()
        let incoming = [
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "tracestate": "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
        ]
        let remote = tracer.extracted(incoming)
        XCTAssertEqual(remote.spanContext?.isRemote, true)
        let outgoing = tracer.withSpan("handle", context: remote, ofKind: .server) { span in
            tracer.injected(span.context)
        }
        let span = try XCTUnwrap(recorder.finishedSpans.first)
        XCTAssertEqual(span.traceID.hexString, "0af7651916cd43dd8448eb211c80319c")
        XCTAssertEqual(span.parentSpanID.hexString, "b7ad6b7169203331")
        XCTAssertEqual(span.kind, OTLP.SpanKind.server.rawValue)
        XCTAssertEqual(span.flags, 0x301, "sampled, parent remote")
        XCTAssertEqual(span.traceState, incoming["tracestate"])
        // Downstream sees the same trace, our span as parent, and the tracestate verbatim.
        XCTAssertEqual(outgoing["traceparent"], "00-0af7651916cd43dd8448eb211c80319c-\(span.spanID.hexString)-01")
        XCTAssertEqual(outgoing["tracestate"], incoming["tracestate"])
    }

    func testInvalidTraceparentStartsANewTraceAndIgnoresTracestate() throws {
        let (tracer, recorder) = makeTracer()
        let remote = tracer.extracted([
            "traceparent": "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "tracestate": "rojo=1",
        ])
        XCTAssertNil(remote.spanContext)
        tracer.withSpan("handle", context: remote) { _ in }
        let span = try XCTUnwrap(recorder.finishedSpans.first)
        XCTAssertNotEqual(span.traceID.hexString, "0af7651916cd43dd8448eb211c80319c")
        XCTAssertEqual(span.parentSpanID, [])
        XCTAssertEqual(span.traceState, "")
    }

    func testInvalidTracestateIsDroppedButTheTraceContinues() throws {
        let (tracer, _) = makeTracer()
        let remote = tracer.extracted([
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "tracestate": "BAD=1",
        ])
        XCTAssertEqual(remote.spanContext?.traceID.hex, "0af7651916cd43dd8448eb211c80319c")
        XCTAssertEqual(remote.spanContext?.traceState, "")
        XCTAssertNil(tracer.injected(remote)["tracestate"])
    }

    func testUnsampledParentGivesNonRecordingSpansThatStillPropagate() throws {
        let (tracer, recorder) = makeTracer()
        let remote = tracer.extracted(["traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"])
        let headers = tracer.withSpan("handle", context: remote) { span -> [String: String] in
            XCTAssertFalse(span.isRecording)
            span.attributes["ignored"] = "yes"
            return tracer.injected(span.context)
        }
        XCTAssertTrue(recorder.finishedSpans.isEmpty, "unsampled spans are not exported")
        let traceparent = try XCTUnwrap(headers["traceparent"])
        XCTAssertTrue(traceparent.hasPrefix("00-0af7651916cd43dd8448eb211c80319c-"), traceparent)
        XCTAssertTrue(traceparent.hasSuffix("-00"), "the sampled flag stays off downstream: \(traceparent)")
        XCTAssertFalse(traceparent.contains("b7ad6b7169203331"), "our (unrecorded) span is the new parent")
    }

    func testAttributesOfEveryKindLandInTheOTLPSpan() throws {
        let (tracer, recorder) = makeTracer()
        struct Version: CustomStringConvertible, Sendable { var description: String { "v1.2.3" } }
        tracer.withSpan("attrs") { span in
            span.attributes["string"] = "text"
            span.attributes["int"] = 42
            span.attributes.set("int32", value: .int32(-7))
            span.attributes.set("int64", value: .int64(.min))
            span.attributes["double"] = 2.5
            span.attributes["bool"] = false
            span.attributes.set("strings", value: .stringArray(["a", "b"]))
            span.attributes.set("int32s", value: .int32Array([1, -1]))
            span.attributes.set("int64s", value: .int64Array([.max]))
            span.attributes.set("doubles", value: .doubleArray([0.5, .infinity]))
            span.attributes.set("bools", value: .boolArray([true, false]))
            span.attributes.set("convertible", value: .stringConvertible(Version()))
            span.attributes.set("convertibles", value: .stringConvertibleArray([Version(), 7]))
            span.attributes["removed"] = "x"
            span.attributes["removed"] = nil
        }
        let span = try XCTUnwrap(recorder.finishedSpans.first)
        XCTAssertEqual(span.attribute("string"), .string("text"))
        XCTAssertEqual(span.attribute("int"), .int(42))
        XCTAssertEqual(span.attribute("int32"), .int(-7))
        XCTAssertEqual(span.attribute("int64"), .int(.min))
        XCTAssertEqual(span.attribute("double"), .double(2.5))
        XCTAssertEqual(span.attribute("bool"), .bool(false))
        XCTAssertEqual(span.attribute("strings"), .array([.string("a"), .string("b")]))
        XCTAssertEqual(span.attribute("int32s"), .array([.int(1), .int(-1)]))
        XCTAssertEqual(span.attribute("int64s"), .array([.int(.max)]))
        XCTAssertEqual(span.attribute("doubles"), .array([.double(0.5), .double(.infinity)]))
        XCTAssertEqual(span.attribute("bools"), .array([.bool(true), .bool(false)]))
        XCTAssertEqual(span.attribute("convertible"), .string("v1.2.3"))
        XCTAssertEqual(span.attribute("convertibles"), .array([.string("v1.2.3"), .string("7")]))
        XCTAssertNil(span.attribute("removed"))
        XCTAssertEqual(span.attributes.map(\.key), span.attributes.map(\.key).sorted(), "sorted by key")
        // And they survive the wire.
        let decoded = try OTLP.ExportTraceServiceRequest(
            protobuf: OTLP.ExportTraceServiceRequest(
                resourceSpans: [.init(scopeSpans: [.init(spans: [span])])]).protobufBytes())
        XCTAssertEqual(decoded.resourceSpans[0].scopeSpans[0].spans[0], span)
    }

    func testRecordErrorBecomesAnExceptionEventAndErrorStatus() throws {
        let (tracer, recorder) = makeTracer()
        XCTAssertThrowsError(
            try tracer.withSpan("failing") { span in
                span.addEvent(SpanEvent(name: "about to fail", attributes: ["step": 3]))
                throw Boom()
            })
        let span = try XCTUnwrap(recorder.finishedSpans.first)
        XCTAssertEqual(span.events.map(\.name), ["about to fail", "exception"])
        let exception = span.events[1]
        XCTAssertEqual(exception.attributes.first { $0.key == "exception.type" }?.value, .string("TelemetryTests.Boom"))
        XCTAssertEqual(exception.attributes.first { $0.key == "exception.message" }?.value, .string("the database is on fire"))
        XCTAssertEqual(span.events[0].attributes, [.init("step", .int(3))])
        XCTAssertEqual(span.status.code, 2)
    }

    func testStatusRules() throws {
        let (tracer, recorder) = makeTracer()
        tracer.withSpan("a") { span in
            span.setStatus(.init(code: .error, message: "first"))
            span.setStatus(.init(code: .error, message: "second"))
        }
        tracer.withSpan("b") { span in
            span.setStatus(.init(code: .ok))
            span.setStatus(.init(code: .error, message: "too late, ok is final"))
        }
        let spans = recorder.finishedSpans
        XCTAssertEqual(spans[0].status, .init(message: "second", code: 2))
        XCTAssertEqual(spans[1].status, .init(message: "", code: 1))
    }

    func testSpanKindsMapToOTLP() throws {
        let (tracer, recorder) = makeTracer()
        let kinds: [(SpanKind, OTLP.SpanKind)] = [
            (.internal, .internal), (.server, .server), (.client, .client), (.producer, .producer), (.consumer, .consumer),
        ]
        for (kind, _) in kinds { tracer.withSpan("k", ofKind: kind) { _ in } }
        XCTAssertEqual(recorder.finishedSpans.map(\.kind), kinds.map(\.1.rawValue))
    }

    func testLinksAndEndOnlyOnce() throws {
        let (tracer, recorder) = makeTracer()
        let other = tracer.startSpan("other", context: .topLevel)
        let remote = tracer.extracted(["traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "tracestate": "a=b"])
        let span = tracer.startSpan("linked", context: .topLevel)
        span.addLink(other, attributes: ["why": "fan-in"])
        span.addLink(SpanLink(context: remote, attributes: [:]))
        span.addLink(SpanLink(context: .topLevel, attributes: [:])) // nothing to point at: dropped
        span.operationName = "renamed"
        span.end()
        span.end()
        span.attributes["after.end"] = "ignored"
        other.end()
        let spans = recorder.finishedSpans
        XCTAssertEqual(spans.map(\.name), ["renamed", "other"], "a second end() does not export twice")
        let linked = spans[0]
        XCTAssertNil(linked.attribute("after.end"))
        XCTAssertEqual(linked.links.count, 2)
        XCTAssertEqual(linked.droppedLinksCount, 1)
        XCTAssertEqual(linked.links[0].spanID, other.spanContext.spanID.bytes)
        XCTAssertEqual(linked.links[0].attributes, [.init("why", .string("fan-in"))])
        XCTAssertEqual(linked.links[0].flags, 0x101)
        XCTAssertEqual(linked.links[1].traceID.hexString, "0af7651916cd43dd8448eb211c80319c")
        XCTAssertEqual(linked.links[1].traceState, "a=b")
        XCTAssertEqual(linked.links[1].flags, 0x301)
    }

    func testLimitsDropAndCount() throws {
        var limits = SpanLimits()
        limits.maxAttributes = 3
        limits.maxEvents = 2
        let recorder = InMemorySpanProcessor()
        let tracer = TelemetryTracer(processor: recorder, limits: limits)
        tracer.withSpan("limited") { span in
            for i in 0..<5 { span.attributes["a\(i)"] = i }
            for i in 0..<4 { span.addEvent(SpanEvent(name: "e\(i)")) }
        }
        let span = try XCTUnwrap(recorder.finishedSpans.first)
        XCTAssertEqual(span.attributes.map(\.key), ["a0", "a1", "a2"])
        XCTAssertEqual(span.droppedAttributesCount, 2)
        XCTAssertEqual(span.events.map(\.name), ["e0", "e1"])
        XCTAssertEqual(span.droppedEventsCount, 2)
    }

    /// `span.attributes[key] = value` changes the dictionary in place under the span's lock
    /// (`_modify`), so concurrent setters lose nothing — with a get-then-set accessor, two tasks
    /// reading the same dictionary would each write back a copy missing the other's key.
    func testSpansAreSafeToUseFromManyTasks() async throws {
        let (tracer, recorder) = makeTracer()
        for round in 0..<20 {
            let span = tracer.startSpan("shared \(round)", context: .topLevel)
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<100 {
                    group.addTask {
                        span.attributes["k\(i)"] = i
                        span.addEvent(SpanEvent(name: "e"))
                    }
                }
            }
            span.end()
        }
        let finished = recorder.finishedSpans
        XCTAssertEqual(finished.count, 20)
        for span in finished {
            XCTAssertEqual(span.attributes.count, 100, "no attribute lost in \(span.name)")
            XCTAssertEqual(span.events.count + Int(span.droppedEventsCount), 100)
        }
    }

    func testLogMetadataProviderStampsTraceAndSpanIDs() throws {
        let (tracer, _) = makeTracer()
        XCTAssertEqual(Logger.MetadataProvider.traceContext.get(), [:], "no span, no ids")
        tracer.withSpan("logged", context: .topLevel) { span in
            let metadata = Logger.MetadataProvider.traceContext.get()
            XCTAssertEqual(metadata["trace_id"], .string(span.spanContext.traceID.hex))
            XCTAssertEqual(metadata["span_id"], .string(span.spanContext.spanID.hex))
        }
    }

    func testBootstrapPipelineWithDisabledSDKRecordsNothingButPropagates() throws {
        var configuration = TelemetryConfiguration.fromEnvironment(["OTEL_SDK_DISABLED": "true"])
        configuration.isExportDisabled = true
        let recorder = InMemorySpanProcessor()
        let handle = TracingSystem.makeTracer(configuration: configuration, processor: recorder)
        let remote = handle.tracer.extracted(["traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"])
        let headers = handle.tracer.withSpan("x", context: remote) { handle.tracer.injected($0.context) }
        XCTAssertTrue(recorder.finishedSpans.isEmpty)
        XCTAssertEqual(headers["traceparent"]?.contains("0af7651916cd43dd8448eb211c80319c"), true)
    }
}
