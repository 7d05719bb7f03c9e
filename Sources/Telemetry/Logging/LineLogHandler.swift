import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes the same lines as swift-log's `StreamLogHandler`
/// (`2026-11-21T12:53:26+0000 info label: key=value … [source] message`), but renders metadata
/// when a line is written rather than whenever metadata is set.
///
/// Why: `StreamLogHandler` re-renders (sorts and formats) its whole metadata on every change, and
/// Hummingbird sets a request id on its logger for every request — ≈ 2.6 µs of CPU per request on
/// our benchmark machine, whether or not the request logs anything (Benchmarks/http-telemetry).
/// Most requests log nothing, so rendering per line costs only the lines that are written.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    public var metadata = Logger.Metadata()
    private let label: String
    private let stream: any TextOutputStream & Sendable

    public init(label: String, stream: any TextOutputStream & Sendable, metadataProvider: Logger.MetadataProvider?) {
        self.label = label
        self.stream = stream
        self.metadataProvider = metadataProvider
    }

    /// A handler writing to standard error, for `LoggingSystem.bootstrap(LineLogHandler.standardError, …)`.
    public static func standardError(label: String, metadataProvider: Logger.MetadataProvider?) -> LineLogHandler {
        LineLogHandler(label: label, stream: StandardErrorStream(), metadataProvider: metadataProvider)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var effective = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            effective.merge(provided) { _, provided in provided }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            effective.merge(explicit) { _, explicit in explicit }
        }
        if let error = event.error {
            effective["error.message"] = "\(error)"
            effective["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let rendered =
            effective.isEmpty
            ? ""
            : " " + effective.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
        var stream = self.stream
        stream.write(
            "\(Self.timestamp()) \(event.level)\(label.isEmpty ? "" : " ")\(label):\(rendered) [\(event.source)] \(event.message)\n")
    }

    /// Local time, second precision, as `StreamLogHandler` writes it.
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        guard localtime_r(&now, &parts) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Standard error, one `write(2)` per line (a line shorter than the pipe buffer arrives whole, never
/// interleaved with another thread's).
struct StandardErrorStream: TextOutputStream, Sendable {
    mutating func write(_ string: String) {
        var line = string
        line.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(STDERR_FILENO, base + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return } // stderr closed: nothing sensible to do
                offset += written
            }
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
