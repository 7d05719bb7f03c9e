import ServiceContextModule

/// A 16-byte W3C trace id. All-zero is invalid.
public struct TraceID: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> TraceID {
        var id = TraceID(high: 0, low: 0)
        while !id.isValid {
            id = TraceID(high: .random(in: .min ... .max, using: &generator), low: .random(in: .min ... .max, using: &generator))
        }
        return id
    }

    public static func random() -> TraceID {
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    public var isValid: Bool { high != 0 || low != 0 }

    /// 32 lowercase hex characters, as in `traceparent` and in Prometheus exemplars.
    public var hex: String { Hex.encode(high) + Hex.encode(low) }
    public var description: String { hex }

    /// The 16 bytes in network order, as OTLP carries them.
    public var bytes: [UInt8] { Hex.bytes(high, low) }

    public init?(hex: Substring) {
        guard hex.count == 32, let h = Hex.decode(hex.prefix(16)), let l = Hex.decode(hex.suffix(16)) else { return nil }
        self.init(high: h, low: l)
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        let a = Array(bytes)
        self.init(high: Hex.uint64(a[0..<8]), low: Hex.uint64(a[8..<16]))
    }
}

/// An 8-byte W3C span id. All-zero is invalid.
public struct SpanID: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value }

    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> SpanID {
        var v: UInt64 = 0
        while v == 0 { v = .random(in: .min ... .max, using: &generator) }
        return SpanID(v)
    }

    public static func random() -> SpanID {
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    public var isValid: Bool { value != 0 }
    public var hex: String { Hex.encode(value) }
    public var description: String { hex }
    public var bytes: [UInt8] { Hex.bytes(value) }

    public init?(hex: Substring) {
        guard hex.count == 16, let v = Hex.decode(hex) else { return nil }
        self.init(v)
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 8 else { return nil }
        self.init(Hex.uint64(Array(bytes)[0..<8]))
    }
}

/// What crosses process boundaries (W3C Trace Context) and what a metric exemplar points at.
public struct SpanContext: Hashable, Sendable {
    public var traceID: TraceID
    public var spanID: SpanID
    /// W3C trace-flags; bit 0 is "sampled".
    public var traceFlags: UInt8
    /// The raw `tracestate` header value, kept verbatim (already validated).
    public var traceState: String
    /// True when this context came from another process.
    public var isRemote: Bool

    public init(traceID: TraceID, spanID: SpanID, traceFlags: UInt8 = 1, traceState: String = "", isRemote: Bool = false) {
        self.traceID = traceID
        self.spanID = spanID
        self.traceFlags = traceFlags
        self.traceState = traceState
        self.isRemote = isRemote
    }

    public var isSampled: Bool { traceFlags & 0x01 == 1 }
}

/// The ServiceContext key under which the current span's context travels through a task.
/// The tracer writes it, the propagator reads/writes it, and the metrics registry reads it to attach exemplars.
public enum SpanContextKey: ServiceContextKey {
    public typealias Value = SpanContext
    public static var nameOverride: String? { "dlab-span-context" }
}

extension ServiceContext {
    public var spanContext: SpanContext? {
        get { self[SpanContextKey.self] }
        set { self[SpanContextKey.self] = newValue }
    }
}

enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func encode(_ v: UInt64) -> String {
        var out = [UInt8](repeating: 0, count: 16)
        var x = v
        for i in stride(from: 15, through: 0, by: -1) {
            out[i] = digits[Int(x & 0xF)]
            x >>= 4
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strict lowercase-or-uppercase hex of exactly 1...16 digits.
    static func decode(_ s: Substring) -> UInt64? {
        guard !s.isEmpty, s.utf8.count <= 16 else { return nil }
        var v: UInt64 = 0
        for c in s.utf8 {
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            v = (v << 4) | UInt64(d)
        }
        return v
    }

    /// The big-endian bytes of `first` then (for a trace id) `second`, in one exactly sized array:
    /// a span's ids are converted for every exported span.
    static func bytes(_ first: UInt64, _ second: UInt64? = nil) -> [UInt8] {
        let count = second == nil ? 8 : 16
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<8 {
                let shift = 56 - 8 * UInt64(i)
                buffer[i] = UInt8(truncatingIfNeeded: first >> shift)
                if let second { buffer[8 + i] = UInt8(truncatingIfNeeded: second >> shift) }
            }
            initialized = count
        }
    }

    static func uint64(_ b: ArraySlice<UInt8>) -> UInt64 {
        b.reduce(0) { ($0 << 8) | UInt64($1) }
    }
}
