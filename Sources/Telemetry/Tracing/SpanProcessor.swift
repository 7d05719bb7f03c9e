import Synchronization

/// Receives every finished, sampled span. `onEnd` runs on the thread that ended the span, so it must
/// return at once: never block, never wait for I/O.
public protocol SpanProcessor: Sendable {
    func onEnd(_ span: FinishedSpan)
    /// Returns when every span handed to `onEnd` so far has been exported (or given up on).
    func forceFlush() async
    /// Flushes, then stops; spans ending afterwards are dropped.
    func shutdown() async
}

/// Sends a batch of spans somewhere. Called by one task at a time (never concurrently).
public protocol SpanExporter: Sendable {
    func export(_ spans: [FinishedSpan]) async -> SpanExportResult
    func shutdown() async
}

public enum SpanExportResult: Sendable, Equatable {
    case success
    /// Accepted, except `rejected` spans the collector refused (OTLP partial success); not retried.
    case partialSuccess(rejected: Int, message: String)
    /// The spans are lost; the reason is for logs and tests.
    case failure(String)
}

/// Keeps finished spans in memory: for tests (here and in other modules) and for local debugging.
public final class InMemorySpanProcessor: SpanProcessor {
    private let spans = Mutex<[FinishedSpan]>([])

    public init() {}

    public func onEnd(_ span: FinishedSpan) { spans.withLock { $0.append(span) } }
    public func forceFlush() async {}
    public func shutdown() async {}

    /// The spans ended so far, in the order they ended, in the OTLP model (attributes sorted by key).
    public var finishedSpans: [OTLP.Span] { spans.withLock { $0 }.map(\.otlp) }

    public func reset() { spans.withLock { $0.removeAll() } }
}

/// Fans finished spans out to several processors (e.g. an exporter and an in-process trace store).
public struct MultiSpanProcessor: SpanProcessor {
    public let processors: [any SpanProcessor]

    public init(_ processors: [any SpanProcessor]) { self.processors = processors }

    public func onEnd(_ span: FinishedSpan) { for p in processors { p.onEnd(span) } }

    public func forceFlush() async {
        await withTaskGroup(of: Void.self) { group in
            for p in processors { group.addTask { await p.forceFlush() } }
        }
    }

    public func shutdown() async {
        await withTaskGroup(of: Void.self) { group in
            for p in processors { group.addTask { await p.shutdown() } }
        }
    }
}
