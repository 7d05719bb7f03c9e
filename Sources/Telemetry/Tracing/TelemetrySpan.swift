import Tracing

/// A span of our tracer. Its mutable parts live behind a lock, so it can be shared across tasks
/// and threads (swift-distributed-tracing requires `Span: Sendable`). An unsampled span is a
/// *non-recording* span: it carries a context for propagation and ignores every mutation.
/// `end()` hands the finished span to the span processor exactly once.
///
/// Everything here runs on the caller's thread for every span, so it allocates as little as it can:
/// the span object itself, and the attribute dictionary when attributes are set.
///
/// The lock is a `SpinLock` rather than a `Mutex` so that `attributes` can have a `_modify` accessor:
/// `span.attributes["k"] = v` (also through `any Span`) then changes the dictionary in place, under
/// the lock — no copy of the dictionary, and no update lost when several tasks set attributes at once.
/// (The lock is held for the duration of that in-place change, so the change itself must not use the
/// same span again; `SpanAttributes`' own subscripts and `set` never do.)
public final class TelemetrySpan: Tracing.Span, @unchecked Sendable {
    public let spanContext: SpanContext
    public let isRecording: Bool
    public let kind: SpanKind
    let parent: SpanContext?
    let startNanoseconds: UInt64
    private let parentContext: ServiceContext
    private let lock = SpinLock()
    nonisolated(unsafe) private var state: State // only under `lock`
    private let sink: SpanSink?

    /// What changes while the span runs.
    struct State {
        var name: String
        var attributes = SpanAttributes()
        /// A server span's HTTP attributes in compact form; while set, `attributes` is empty (the
        /// first change through the facade moves them into the dictionary: `materializeHTTPServer`).
        var httpServer: HTTPServerAttributes?
        var events: [SpanEvent] = []
        var droppedEvents: UInt32 = 0
        var links: [SpanLink] = []
        var droppedLinks: UInt32 = 0
        var status: SpanStatus?
        var ended = false
    }

    init(
        name: String, kind: SpanKind, parentContext: ServiceContext, spanContext: SpanContext, parent: SpanContext?,
        startNanoseconds: UInt64, isRecording: Bool, sink: SpanSink?
    ) {
        self.parentContext = parentContext
        self.spanContext = spanContext
        self.kind = kind
        self.parent = parent
        self.startNanoseconds = startNanoseconds
        self.isRecording = isRecording
        self.sink = isRecording ? sink : nil
        self.state = State(name: name)
    }

    /// The parent's service context with this span's `spanContext`; use it to start children.
    /// Built when asked for (usually once, by `withSpan`), so that a span nobody asks it of does not
    /// pay for a context of its own.
    public var context: ServiceContext {
        var context = parentContext
        context.spanContext = spanContext
        return context
    }

    public var operationName: String {
        get { withState { $0.name } }
        set { mutate { $0.name = newValue } }
    }

    /// The facade's `updateAttributes` (and Hummingbird's middleware) read the attributes, change the
    /// copy and write it back. While there are none, the copy handed out is a fresh dictionary with
    /// room for a request's worth of attributes, so filling it neither copies nor regrows it.
    /// Compact HTTP server attributes (`setHTTPServerAttributes`) are shown here like any others.
    public var attributes: SpanAttributes {
        get {
            withState { state in
                var shown = state
                shown.materializeHTTPServer() // on the copy: the span keeps its compact fields
                return shown.attributes.isEmpty ? Self.roomForAttributes() : shown.attributes
            }
        }
        set {
            mutate {
                $0.httpServer = nil // the getter showed them: `newValue` has them if the caller kept them
                $0.attributes = newValue
            }
        }
        _modify {
            lock.lock()
            defer { lock.unlock() }
            if isRecording && !state.ended {
                state.materializeHTTPServer()
                if state.attributes.isEmpty { state.attributes = Self.roomForAttributes() }
                yield &state.attributes
            } else {
                var ignored = SpanAttributes() // a non-recording or ended span ignores the change
                yield &ignored
            }
        }
    }

    /// Sets a server span's `http.request.method`, `url.path` and `http.route` (and the status code,
    /// if given) without the attribute dictionary — see `HTTPServerAttributes` for why. Equivalent to
    /// setting each through `attributes`.
    public func setHTTPServerAttributes(_ http: HTTPServerAttributes) {
        mutate { state in
            if state.attributes.isEmpty {
                state.httpServer = http
            } else {
                http.forEach { key, value in state.attributes.set(key, value: value) }
            }
        }
    }

    /// Sets `http.response.status_code` (in the compact fields when the span has them).
    public func setHTTPStatusCode(_ code: Int) {
        mutate { state in
            if state.httpServer != nil {
                state.httpServer?.statusCode = code
            } else {
                state.attributes.set(HTTPServerAttributes.statusCodeKey, value: .int64(Int64(code)))
            }
        }
    }

    /// OpenTelemetry's rule: `ok` is final; `error` replaces an earlier `error` but never `ok`.
    public func setStatus(_ status: SpanStatus) {
        mutate { state in
            if state.status?.code == .ok { return }
            state.status = status
        }
    }

    public func addEvent(_ event: SpanEvent) {
        let limit = sink?.limits.maxEvents ?? 0
        mutate { state in
            if state.events.count < limit { state.events.append(event) } else { state.droppedEvents += 1 }
        }
    }

    /// Records the error as an `exception` event with `exception.type` and `exception.message`
    /// (OpenTelemetry semantic conventions); `attributes` are added to the event.
    public func recordError<Instant: TracerInstant>(_ error: Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        guard isRecording else { return }
        var eventAttributes = attributes
        eventAttributes["exception.type"] = String(reflecting: type(of: error))
        eventAttributes["exception.message"] = String(describing: error)
        addEvent(SpanEvent(name: "exception", at: instant(), attributes: eventAttributes))
    }

    public func addLink(_ link: SpanLink) {
        let limit = sink?.limits.maxLinks ?? 0
        mutate { state in
            if state.links.count < limit { state.links.append(link) } else { state.droppedLinks += 1 }
        }
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        guard let sink else { return }
        let finished: State? = withState { state in
            guard !state.ended else { return nil }
            state.ended = true
            return state
        }
        guard let finished else { return } // a second end() is ignored
        sink.processor.onEnd(finishedSpan(finished, endNanoseconds: instant().nanosecondsSinceEpoch, limits: sink.limits))
    }

    /// Six: a server span's four (method, route, path, status) plus a couple of the lab's own. More
    /// would cost every queued span memory (the batch queue holds thousands); more attributes than
    /// this just regrow the dictionary once.
    static func roomForAttributes() -> SpanAttributes {
        SpanAttributes([String: SpanAttribute](minimumCapacity: 6))
    }

    /// Runs `change` on the state unless the span is non-recording or already ended.
    private func mutate(_ change: (inout State) -> Void) {
        guard isRecording else { return }
        withState { state in
            guard !state.ended else { return }
            change(&state)
        }
    }

    private func withState<Result>(_ body: (inout State) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }
}

extension TelemetrySpan.State {
    /// Moves compact HTTP attributes into the dictionary, where the facade can see and change them.
    mutating func materializeHTTPServer() {
        guard let http = httpServer else { return }
        httpServer = nil
        if attributes.isEmpty { attributes = TelemetrySpan.roomForAttributes() }
        http.merge(into: &attributes)
    }
}

/// Where a recording span goes when it ends, and the limits it obeys (OTEL_SPAN_*_COUNT_LIMIT).
struct SpanSink: Sendable {
    let processor: any SpanProcessor
    let limits: SpanLimits
}

/// Caps on what one span may hold; what is over the cap is dropped and counted in the OTLP
/// `dropped_*_count` fields (the spec's defaults: 128 each).
public struct SpanLimits: Sendable, Equatable {
    public var maxAttributes = 128
    public var maxEvents = 128
    public var maxLinks = 128
    public var maxAttributesPerEvent = 128
    public var maxAttributesPerLink = 128
    public init() {}
}
