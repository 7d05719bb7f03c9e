/// Decides, when a span starts, whether it is recorded and exported. An unsampled span still carries
/// a valid context (with the sampled flag cleared) so downstream services see one consistent trace.
public protocol Sampler: Sendable, CustomStringConvertible {
    /// `parent` is the parent span's context (local or extracted from a request), nil for a root span.
    func shouldSample(traceID: TraceID, parent: SpanContext?, operationName: String) -> Bool
}

public struct AlwaysOnSampler: Sampler {
    public init() {}
    public func shouldSample(traceID: TraceID, parent: SpanContext?, operationName: String) -> Bool { true }
    public var description: String { "AlwaysOn" }
}

public struct AlwaysOffSampler: Sampler {
    public init() {}
    public func shouldSample(traceID: TraceID, parent: SpanContext?, operationName: String) -> Bool { false }
    public var description: String { "AlwaysOff" }
}

/// Samples a fixed fraction of traces, deterministically from the trace id, so every service using the
/// same ratio makes the same decision for a trace. Per the OpenTelemetry spec (and as the Python and
/// Go SDKs do): sampled iff the lower 8 bytes of the trace id, as an unsigned integer, are below
/// `ratio * 2^64`.
public struct TraceIDRatioSampler: Sampler {
    public let ratio: Double
    private let bound: UInt64? // nil: sample everything

    public init(ratio: Double) {
        let r = ratio.isNaN ? 1 : min(max(ratio, 0), 1)
        self.ratio = r
        let scaled = r * 18_446_744_073_709_551_616.0 // 2^64
        bound = scaled >= 18_446_744_073_709_551_616.0 ? nil : UInt64(scaled)
    }

    public func shouldSample(traceID: TraceID, parent: SpanContext?, operationName: String) -> Bool {
        guard let bound else { return true }
        return traceID.low < bound
    }

    public var description: String { "TraceIdRatioBased{\(ratio)}" }
}

/// Follows the parent's sampled flag when there is a parent, and asks `root` otherwise.
public struct ParentBasedSampler: Sampler {
    public let root: any Sampler
    public let remoteParentSampled: any Sampler
    public let remoteParentNotSampled: any Sampler
    public let localParentSampled: any Sampler
    public let localParentNotSampled: any Sampler

    public init(
        root: any Sampler,
        remoteParentSampled: any Sampler = AlwaysOnSampler(),
        remoteParentNotSampled: any Sampler = AlwaysOffSampler(),
        localParentSampled: any Sampler = AlwaysOnSampler(),
        localParentNotSampled: any Sampler = AlwaysOffSampler()
    ) {
        self.root = root
        self.remoteParentSampled = remoteParentSampled
        self.remoteParentNotSampled = remoteParentNotSampled
        self.localParentSampled = localParentSampled
        self.localParentNotSampled = localParentNotSampled
    }

    public func shouldSample(traceID: TraceID, parent: SpanContext?, operationName: String) -> Bool {
        let delegate: any Sampler
        switch (parent?.isRemote, parent?.isSampled) {
        case (nil, _), (_, nil): delegate = root
        case (true?, true?): delegate = remoteParentSampled
        case (true?, false?): delegate = remoteParentNotSampled
        case (false?, true?): delegate = localParentSampled
        case (false?, false?): delegate = localParentNotSampled
        }
        return delegate.shouldSample(traceID: traceID, parent: parent, operationName: operationName)
    }

    public var description: String { "ParentBased{root:\(root)}" }
}

public enum Samplers {
    /// The SDK default: `parentbased_always_on`.
    public static var `default`: any Sampler { ParentBasedSampler(root: AlwaysOnSampler()) }

    /// The sampler named by OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG. Unknown names fall back to
    /// the default and a bad ratio to 1.0 (both per the spec), each with a warning for the log.
    public static func fromEnvironment(_ env: [String: String]) -> (sampler: any Sampler, warnings: [String]) {
        var warnings: [String] = []
        let name = env["OTEL_TRACES_SAMPLER"]?.withoutSurroundingWhitespace.lowercased() ?? ""
        func ratio() -> Double {
            guard let arg = env["OTEL_TRACES_SAMPLER_ARG"]?.withoutSurroundingWhitespace, !arg.isEmpty else { return 1 }
            guard let r = Double(arg), r >= 0, r <= 1 else {
                warnings.append("OTEL_TRACES_SAMPLER_ARG=\(arg) is not a ratio in [0, 1]; using 1.0")
                return 1
            }
            return r
        }
        switch name {
        case "always_on": return (AlwaysOnSampler(), warnings)
        case "always_off": return (AlwaysOffSampler(), warnings)
        case "traceidratio": return (TraceIDRatioSampler(ratio: ratio()), warnings)
        case "parentbased_always_on", "": return (ParentBasedSampler(root: AlwaysOnSampler()), warnings)
        case "parentbased_always_off": return (ParentBasedSampler(root: AlwaysOffSampler()), warnings)
        case "parentbased_traceidratio": return (ParentBasedSampler(root: TraceIDRatioSampler(ratio: ratio())), warnings)
        default:
            warnings.append("OTEL_TRACES_SAMPLER=\(name) is not supported; using parentbased_always_on")
            return (ParentBasedSampler(root: AlwaysOnSampler()), warnings)
        }
    }
}

extension String {
    var withoutSurroundingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
