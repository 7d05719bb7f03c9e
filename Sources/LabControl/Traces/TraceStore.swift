import Foundation
import Synchronization
import Telemetry

/// Where received spans are kept: append-only segment files under a directory (`.lab/traces/`), with
/// an in-memory index by trace id.
///
/// - Each received batch is one record (see `TraceSegmentFile`): the accepted spans re-encoded as an
///   OTLP protobuf request. The index keeps, per trace, a running summary and the records holding its
///   spans; full traces are read back from disk on demand.
/// - Bounded: a segment is closed at `maxSegmentBytes`; when all segments exceed `maxTotalBytes`,
///   the oldest is deleted and its traces leave the index (or shrink, if later records hold more).
/// - Durable across restarts: opening the directory rebuilds the index from the files. A record cut
///   short by a crash (or a damaged length or checksum) ends its segment: the file is truncated there,
///   and `statistics.recoveryNotes` says so. A whole record that does not decode is skipped alone:
///   the records after it stay readable.
/// - Only readable records are written: `append` refuses spans whose record would not decode again.
/// - One writer per directory (an advisory `flock`); `readOnly` openers (`labctl traces` while a lab
///   is up) never modify files and skip a partial record that the writer may still be writing.
public final class TraceStore: Sendable {
    public struct Configuration: Sendable {
        public var maxSegmentBytes: Int
        public var maxTotalBytes: Int
        public var readOnly: Bool

        public init(maxSegmentBytes: Int = 4 << 20, maxTotalBytes: Int = 64 << 20, readOnly: Bool = false) {
            self.maxSegmentBytes = maxSegmentBytes
            self.maxTotalBytes = maxTotalBytes
            self.readOnly = readOnly
        }
    }

    /// What `append` did with a batch.
    public struct AppendResult: Sendable, Equatable {
        public var acceptedSpans: Int
        public var rejectedSpans: Int
        /// Why spans were rejected (empty when none were).
        public var rejectionReason: String
    }

    public struct Statistics: Sendable, Equatable {
        public var traceCount: Int
        public var spanCount: Int
        public var segmentCount: Int
        public var diskBytes: Int
        /// Segments deleted to stay within `maxTotalBytes` since this store was opened.
        public var droppedSegments: Int
        /// Damaged bytes found at the end of segments when opening (truncated unless read-only).
        public var recoveredBytes: Int
        /// What the opening scan found wrong, one line per damaged segment.
        public var recoveryNotes: [String]
    }

    public let directory: String
    public let configuration: Configuration
    /// Internal, not private: the searches in `TraceStore+Search.swift` read the index.
    let state: Mutex<State>

    public convenience init(
        directory: String = ".lab/traces", maxSegmentBytes: Int = 4 << 20, maxTotalBytes: Int = 64 << 20, readOnly: Bool = false
    ) throws(TraceStoreError) {
        try self.init(
            directory: directory,
            configuration: Configuration(maxSegmentBytes: maxSegmentBytes, maxTotalBytes: maxTotalBytes, readOnly: readOnly))
    }

    public init(directory: String, configuration: Configuration) throws(TraceStoreError) {
        self.directory = directory
        self.configuration = configuration
        var state = State()
        try state.open(directory: directory, configuration: configuration)
        self.state = Mutex(state)
    }

    deinit {
        state.withLock { $0.closeFiles() }
    }

    /// The store a receiver writes to, under `<state>/traces`; what opening it had to repair (a
    /// truncated tail, a skipped record) is logged, never dropped silently.
    public static func openForReceiving(stateDirectory: URL, log: (String) -> Void) throws(TraceStoreError) -> TraceStore {
        let store = try TraceStore(directory: stateDirectory.appendingPathComponent("traces").path)
        for note in store.statistics.recoveryNotes { log("trace store: \(note)") }
        return store
    }

    // MARK: Writing

    /// Stores the spans of one received batch. Spans without a valid 16-byte trace id and 8-byte span
    /// id are rejected (counted, not stored); the rest are written as one record.
    @discardableResult
    public func append(_ request: OTLP.ExportTraceServiceRequest) throws(TraceStoreError) -> AppendResult {
        guard !configuration.readOnly else { throw .readOnly(directory) }
        let (valid, rejected) = Self.validSpans(of: request)
        let accepted = valid.resourceSpans.reduce(0) { $0 + $1.scopeSpans.reduce(0) { $0 + $1.spans.count } }
        let result = AppendResult(
            acceptedSpans: accepted, rejectedSpans: rejected,
            rejectionReason: rejected == 0 ? "" : "\(rejected) span(s) without a valid 16-byte trace id and 8-byte span id"
        )
        guard accepted > 0 else { return result }
        let payload = valid.protobufBytes()
        // Never write a record this store could not read back (it would be skipped on every open):
        // whatever way the spans came in, the record must pass the protobuf decoder's own limits.
        do {
            _ = try OTLP.ExportTraceServiceRequest(protobuf: payload)
        } catch {
            throw .unreadable("\(error)")
        }
        try state.withLock { state throws(TraceStoreError) in
            try state.append(payload: payload, request: valid, configuration: configuration)
        }
        return result
    }

    /// Keeps only spans whose ids are well-formed and non-zero.
    static func validSpans(of request: OTLP.ExportTraceServiceRequest) -> (OTLP.ExportTraceServiceRequest, rejected: Int) {
        var rejected = 0
        var out = request
        for r in out.resourceSpans.indices {
            for s in out.resourceSpans[r].scopeSpans.indices {
                let spans = out.resourceSpans[r].scopeSpans[s].spans
                let ok = spans.filter { span in
                    (TraceID(bytes: span.traceID)?.isValid ?? false) && (SpanID(bytes: span.spanID)?.isValid ?? false)
                        && (span.parentSpanID.isEmpty || span.parentSpanID.count == 8)
                }
                rejected += spans.count - ok.count
                out.resourceSpans[r].scopeSpans[s].spans = ok
            }
            out.resourceSpans[r].scopeSpans.removeAll { $0.spans.isEmpty }
        }
        out.resourceSpans.removeAll { $0.scopeSpans.isEmpty }
        return (out, rejected)
    }

    // MARK: Queries

    /// Summaries of the matching traces, newest first.
    public func summaries(_ query: TraceQuery = TraceQuery()) -> [TraceSummary] {
        state.withLock { $0.index.values.map(\.builder.summary) }
            .filter(query.matches)
            .sorted { ($0.startNanos, $0.traceID.hex) > ($1.startNanos, $1.traceID.hex) }
    }

    /// The `limit` most recently started matching traces, newest first.
    public func recent(limit: Int = 20, _ query: TraceQuery = TraceQuery()) -> [TraceSummary] {
        Array(summaries(query).prefix(max(0, limit)))
    }

    /// The `n` longest matching traces, longest first.
    public func slowest(_ n: Int, _ query: TraceQuery = TraceQuery()) -> [TraceSummary] {
        let sorted = summaries(query).sorted { ($0.durationNanos, $1.startNanos) > ($1.durationNanos, $0.startNanos) }
        return Array(sorted.prefix(max(0, n)))
    }

    public func summary(_ id: TraceID) -> TraceSummary? {
        state.withLock { $0.index[id]?.builder.summary }
    }

    /// The full trace, read back from its records; nil if the store does not hold it.
    public func trace(_ id: TraceID) throws(TraceStoreError) -> Trace? {
        try state.withLock { state throws(TraceStoreError) in try state.readTrace(id) }
    }

    /// The trace whose hex id starts with `prefix` (a full id or an unambiguous prefix, as `git` allows).
    public func resolve(idPrefix: String) throws(TraceStoreError) -> TraceID {
        let p = idPrefix.lowercased()
        if let full = TraceID(hex: Substring(p)) { return full }
        let ids = state.withLock { Array($0.index.keys) }.filter { $0.hex.hasPrefix(p) }
        guard !p.isEmpty, let first = ids.first else { throw .noSuchTrace(idPrefix) }
        guard ids.count == 1 else { throw .ambiguousTraceID(idPrefix, matches: ids.count) }
        return first
    }

    /// Full traces for every matching summary, newest first.
    public func traces(_ query: TraceQuery = TraceQuery()) throws(TraceStoreError) -> [Trace] {
        try traces(summaries(query).map(\.traceID))
    }

    /// The stored traces among `ids`, in that order (ids the store no longer holds are left out).
    public func traces(_ ids: [TraceID]) throws(TraceStoreError) -> [Trace] {
        try state.withLock { state throws(TraceStoreError) in try state.readTraces(ids) }
    }

    /// The longest matching trace ("the slowest trace between t0 and t1").
    public func slowestTrace(_ query: TraceQuery = TraceQuery()) throws(TraceStoreError) -> Trace? {
        guard let s = slowest(1, query).first else { return nil }
        return try trace(s.traceID)
    }

    /// Self-time per service over all matching traces; `.culprit` is where the time went.
    public func selfTimeByService(_ query: TraceQuery = TraceQuery()) throws(TraceStoreError) -> ServiceTimeBreakdown {
        SelfTime.byService(try traces(query))
    }

    public var statistics: Statistics {
        state.withLock { s in
            Statistics(
                traceCount: s.index.count,
                spanCount: s.index.values.reduce(0) { $0 + $1.builder.summary.spanCount },
                segmentCount: s.segments.count,
                diskBytes: s.segments.reduce(0) { $0 + $1.size },
                droppedSegments: s.droppedSegments,
                recoveredBytes: s.recoveredBytes,
                recoveryNotes: s.recoveryNotes
            )
        }
    }
}

public enum TraceStoreError: Error, CustomStringConvertible, Equatable {
    case io(String, Int32)
    case inUse(directory: String)
    case readOnly(String)
    case noSuchTrace(String)
    case ambiguousTraceID(String, matches: Int)
    /// The spans would make a record the store cannot decode again (e.g. nested too deep): not stored.
    case unreadable(String)

    public var description: String {
        switch self {
        case .io(let what, let code):
            return code == 0 ? "trace store: \(what)" : "trace store: \(what): \(String(cString: strerror(code)))"
        case .inUse(let dir):
            return "trace store \(dir) is in use by another labctl process (only one may write; open it read-only)"
        case .readOnly(let dir): return "trace store \(dir) was opened read-only"
        case .noSuchTrace(let id): return "no stored trace has id \(id)"
        case .ambiguousTraceID(let id, let n): return "\(n) stored traces start with \(id); give more of the id"
        case .unreadable(let why): return "the spans cannot be stored as a record the store reads back: \(why)"
        }
    }
}
