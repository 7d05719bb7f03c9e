import CoreMetrics
import Synchronization

@testable import Telemetry

/// A collector stand-in whose answers the test scripts; it records every request it gets.
final class ScriptedTransport: OTLPTransport {
    enum Answer: Sendable {
        case status(Int, retryAfter: String? = nil)
        case partialSuccess(rejected: Int64, message: String)
        case connectionRefused
    }

    struct Request: Sendable {
        var url: String
        var body: [UInt8]
        var contentType: String
        var timeout: Duration
    }

    struct ConnectionRefused: Error {}

    private let state: Mutex<(script: [Answer], requests: [Request])>
    /// What to answer once the script has run out.
    private let otherwise: Answer

    init(_ script: [Answer] = [], otherwise: Answer = .status(200)) {
        state = Mutex((script, []))
        self.otherwise = otherwise
    }

    var requests: [Request] { state.withLock { $0.requests } }

    /// Every span received so far, decoded with our decoder.
    func receivedSpans() throws -> [OTLP.Span] {
        try requests.flatMap { try OTLP.ExportTraceServiceRequest(protobuf: $0.body).resourceSpans.flatMap(\.scopeSpans).flatMap(\.spans) }
    }

    func post(url: String, body: [UInt8], contentType: String, timeout: Duration) async throws -> OTLPTransportResponse {
        let answer = state.withLock { s in
            s.requests.append(Request(url: url, body: body, contentType: contentType, timeout: timeout))
            return s.script.isEmpty ? otherwise : s.script.removeFirst()
        }
        switch answer {
        case .status(let code, let retryAfter): return OTLPTransportResponse(statusCode: code, retryAfter: retryAfter)
        case .partialSuccess(let rejected, let message):
            return OTLPTransportResponse(
                statusCode: 200, body: OTLP.ExportTraceServiceResponse(rejectedSpans: rejected, errorMessage: message).protobufBytes())
        case .connectionRefused: throw ConnectionRefused()
        }
    }
}

/// A collector that accepts the connection and never answers, ignoring cancellation too, until
/// `release()`; then every stuck and later call gets `answerAfterRelease`.
final class HangingTransport: OTLPTransport {
    private let waiting = Mutex<(calls: Int, continuations: [CheckedContinuation<Void, Never>], released: Bool)>((0, [], false))
    private let answerAfterRelease: ScriptedTransport.Answer

    init(answerAfterRelease: ScriptedTransport.Answer = .status(200)) {
        self.answerAfterRelease = answerAfterRelease
    }

    var calls: Int { waiting.withLock { $0.calls } }

    func post(url: String, body: [UInt8], contentType: String, timeout: Duration) async throws -> OTLPTransportResponse {
        await withCheckedContinuation { continuation in
            let released = waiting.withLock { w in
                w.calls += 1
                if !w.released { w.continuations.append(continuation) }
                return w.released
            }
            if released { continuation.resume() }
        }
        switch answerAfterRelease {
        case .connectionRefused: throw ScriptedTransport.ConnectionRefused()
        case .status(let code, let retryAfter): return OTLPTransportResponse(statusCode: code, retryAfter: retryAfter)
        case .partialSuccess: return OTLPTransportResponse(statusCode: 200)
        }
    }

    func release() {
        let continuations = waiting.withLock { w in
            w.released = true
            defer { w.continuations = [] }
            return w.continuations
        }
        for c in continuations { c.resume() }
    }
}

/// Records the delays the exporter asks for instead of sleeping.
final class RecordedSleeps: Sendable {
    private let delays = Mutex<[Duration]>([])
    var all: [Duration] { delays.withLock { $0 } }
    var sleep: @Sendable (Duration) async throws -> Void {
        { [self] d in delays.withLock { $0.append(d) } }
    }
}

/// A swift-metrics factory that keeps counter values, keyed by label and sorted dimensions.
final class RecordingMetricsFactory: MetricsFactory {
    final class CounterBox: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler {
        let value = Mutex<Double>(0)
        func increment(by amount: Int64) { value.withLock { $0 += Double(amount) } }
        func increment(by amount: Double) { value.withLock { $0 += amount } }
        func reset() { value.withLock { $0 = 0 } }
        func set(_ v: Int64) { value.withLock { $0 = Double(v) } }
        func set(_ v: Double) { value.withLock { $0 = v } }
        func decrement(by amount: Double) { value.withLock { $0 -= amount } }
        func record(_ v: Int64) { set(v) }
        func record(_ v: Double) { set(v) }
        func recordNanoseconds(_ duration: Int64) { set(duration) }
    }

    private let boxes = Mutex<[String: CounterBox]>([:])

    private func box(_ label: String, _ dimensions: [(String, String)]) -> CounterBox {
        let key = Self.key(label, dimensions)
        return boxes.withLock { b in
            if let existing = b[key] { return existing }
            let new = CounterBox()
            b[key] = new
            return new
        }
    }

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        label + dimensions.sorted { $0.0 < $1.0 }.map { "{\($0.0)=\($0.1)}" }.joined()
    }

    func value(_ label: String, _ dimensions: [(String, String)] = []) -> Double {
        boxes.withLock { $0[Self.key(label, dimensions)]?.value.withLock { $0 } ?? 0 }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> CounterHandler { box(label, dimensions) }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> FloatingPointCounterHandler { box(label, dimensions) }
    func makeMeter(label: String, dimensions: [(String, String)]) -> MeterHandler { box(label, dimensions) }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> RecorderHandler { box(label, dimensions) }
    func makeTimer(label: String, dimensions: [(String, String)]) -> TimerHandler { box(label, dimensions) }
    func destroyCounter(_ handler: CounterHandler) {}
    func destroyMeter(_ handler: MeterHandler) {}
    func destroyFloatingPointCounter(_ handler: FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: RecorderHandler) {}
    func destroyTimer(_ handler: TimerHandler) {}
}

/// Polls `condition` until it holds or `timeout` passes (wide margins; the machine is noisy).
func eventually(timeout: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

func makeSpan(_ i: Int) -> FinishedSpan {
    FinishedSpan(
        traceID: TraceID(high: 0x0101_0101_0101_0101, low: 0x0101_0101_0101_0101), spanID: SpanID(UInt64(i + 1)),
        flags: 1, name: "span-\(i)", kind: .internal)
}
