// Recording stand-ins for the metrics and tracing facades, so the tests can see what the load
// generator reported. (The generator takes them as parameters; the global systems stay untouched.)

import CoreMetrics
import Foundation
import Synchronization
import Tracing

/// Counts what was recorded, keyed by `label{dim=value,...}` with dimensions sorted.
final class RecordingMetrics: MetricsFactory, Sendable {
    private let values = Mutex<[String: Int64]>([:])

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        let dims = dimensions.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        return "\(label){\(dims)}"
    }

    /// The counter's value, or the number of values a timer/recorder received.
    func value(_ label: String, _ dimensions: [(String, String)]) -> Int64 {
        values.withLock { $0[Self.key(label, dimensions)] ?? 0 }
    }

    fileprivate func add(_ key: String, _ amount: Int64) {
        values.withLock { $0[key, default: 0] += amount }
    }

    final class Handle: CounterHandler, RecorderHandler, TimerHandler, Sendable {
        let key: String
        let metrics: RecordingMetrics
        init(_ key: String, _ metrics: RecordingMetrics) {
            self.key = key
            self.metrics = metrics
        }
        func increment(by amount: Int64) { metrics.add(key, amount) }
        func reset() {}
        func record(_ value: Int64) { metrics.add(key, 1) }
        func record(_ value: Double) { metrics.add(key, 1) }
        func recordNanoseconds(_ duration: Int64) { metrics.add(key, 1) }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handle(Self.key(label, dimensions), self)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Handle(Self.key(label, dimensions), self)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Handle(Self.key(label, dimensions), self)
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

/// A tracer that gives every span a fresh W3C trace/span id, injects `traceparent`, and keeps the
/// ended spans.
final class RecordingTracer: Tracer, Sendable {
    private let ended = Mutex<[RecordedSpan]>([])
    var spans: [RecordedSpan] { ended.withLock { $0 } }

    struct IDs: Sendable {
        var traceID: String
        var spanID: String
    }
    enum IDsKey: ServiceContextKey { typealias Value = IDs }

    struct RecordedSpan: Sendable {
        var name: String
        var kind: SpanKind
        var ids: IDs
        var attributes: [String: SpanAttribute]
        var isError: Bool
    }

    final class Span: Tracing.Span, Sendable {
        struct State {
            var name: String
            var attributes = SpanAttributes()
            var isError = false
        }
        let context: ServiceContext
        let kind: SpanKind
        let tracer: RecordingTracer
        private let state: Mutex<State>

        init(name: String, kind: SpanKind, context: ServiceContext, tracer: RecordingTracer) {
            self.context = context
            self.kind = kind
            self.tracer = tracer
            state = Mutex(State(name: name))
        }
        var operationName: String {
            get { state.withLock { $0.name } }
            set { state.withLock { $0.name = newValue } }
        }
        var attributes: SpanAttributes {
            get { state.withLock { $0.attributes } }
            set { state.withLock { $0.attributes = newValue } }
        }
        var isRecording: Bool { true }
        func setStatus(_ status: SpanStatus) {
            state.withLock { $0.isError = status.code == .error }
        }
        func addEvent(_ event: SpanEvent) {}
        func addLink(_ link: SpanLink) {}
        func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {}
        func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
            let s = state.withLock { $0 }
            var attributes: [String: SpanAttribute] = [:]
            s.attributes.forEach { key, value in attributes[key] = value }
            let recorded = RecordedSpan(name: s.name, kind: kind, ids: context[IDsKey.self]!, attributes: attributes, isError: s.isError)
            tracer.ended.withLock { $0.append(recorded) }
        }
    }

    private static func hex(_ byteCount: Int) -> String {
        (0..<byteCount).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> Span {
        var context = context()
        let parent = context[IDsKey.self]
        context[IDsKey.self] = IDs(traceID: parent?.traceID ?? Self.hex(16), spanID: Self.hex(8))
        return Span(name: operationName, kind: kind, context: context, tracer: self)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        guard let ids = context[IDsKey.self] else { return }
        injector.inject("00-\(ids.traceID)-\(ids.spanID)-01", forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract.Carrier == Carrier {}
}
