/// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
/// headers, parsed strictly. Anything invalid yields nil, and the caller then starts a new trace —
/// a malformed header from a peer must never crash us or join an unrelated trace.
public enum W3CTraceContext {
    public static let traceparentHeader = "traceparent"
    public static let tracestateHeader = "tracestate"

    /// Parses a `traceparent` value: `version-traceid-parentid-flags`, e.g.
    /// `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01`.
    ///
    /// - version 00: exactly 55 characters.
    /// - a higher version (not `ff`): at least 55, and if longer the 56th must be `-` (the spec lets
    ///   future versions append fields; we read the four we know).
    /// - lowercase hex only; trace id and parent id must not be all zeros.
    public static func parseTraceparent(_ header: String) -> (traceID: TraceID, spanID: SpanID, flags: UInt8)? {
        let value = Array(trimmingOWS(header.utf8))
        guard value.count >= 55 else { return nil }
        guard let version = lowercaseHex(value[0..<2]), version != 0xFF else { return nil }
        if version == 0 {
            guard value.count == 55 else { return nil }
        } else if value.count > 55 {
            guard value[55] == UInt8(ascii: "-") else { return nil }
        }
        guard value[2] == dash, value[35] == dash, value[52] == dash else { return nil }
        guard let high = lowercaseHex(value[3..<19]), let low = lowercaseHex(value[19..<35]),
            let span = lowercaseHex(value[36..<52]), let flags = lowercaseHex(value[53..<55])
        else { return nil }
        let traceID = TraceID(high: high, low: low)
        let spanID = SpanID(span)
        guard traceID.isValid, spanID.isValid else { return nil }
        return (traceID, spanID, UInt8(flags))
    }

    /// The `traceparent` value we send (always version 00).
    public static func formatTraceparent(_ context: SpanContext) -> String {
        let flagDigits = Array("0123456789abcdef")
        let flags = String([flagDigits[Int(context.traceFlags >> 4)], flagDigits[Int(context.traceFlags & 0xF)]])
        return "00-\(context.traceID.hex)-\(context.spanID.hex)-\(flags)"
    }

    /// Validates a `tracestate` value and returns it unchanged (verbatim, minus surrounding
    /// whitespace), or nil if it breaks the grammar: more than 32 list members, a bad key or value,
    /// or the same key twice. Empty members (`a=1,,b=2`) are allowed, as the spec says.
    public static func validateTracestate(_ header: String) -> String? {
        let trimmed = trimmingOWS(header.utf8)
        var seenKeys = Set<[UInt8]>()
        var members = 0
        for rawMember in trimmed.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let member = trimmingOWS(rawMember)
            if member.isEmpty { continue }
            members += 1
            guard members <= 32 else { return nil }
            guard let equals = member.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let key = Array(member[member.startIndex..<equals])
            let value = member[member.index(after: equals)...]
            guard isValidKey(key), isValidValue(value), seenKeys.insert(key).inserted else { return nil }
        }
        return String(decoding: trimmed, as: UTF8.self)
    }

    // MARK: grammar

    private static let dash = UInt8(ascii: "-")

    /// Lowercase hex digits only (the spec forbids uppercase), at most 16 of them.
    static func lowercaseHex(_ digits: ArraySlice<UInt8>) -> UInt64? {
        var v: UInt64 = 0
        for c in digits {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | UInt64(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | UInt64(c - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        return v
    }

    /// Optional whitespace (space and tab) around a header value or list member.
    private static func trimmingOWS<C: BidirectionalCollection<UInt8>>(_ s: C) -> C.SubSequence {
        let isOWS = { (c: UInt8) in c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") }
        guard let first = s.firstIndex(where: { !isOWS($0) }), let last = s.lastIndex(where: { !isOWS($0) }) else {
            return s[s.endIndex...]
        }
        return s[first...last]
    }

    private static func isLowerAlpha(_ c: UInt8) -> Bool { c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") }
    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    private static func isKeyChar(_ c: UInt8) -> Bool {
        isLowerAlpha(c) || isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: "*")
            || c == UInt8(ascii: "/")
    }

    /// key = simple-key / multi-tenant-key
    /// simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
    /// multi-tenant-key = tenant-id "@" system-id
    /// tenant-id = ( lcalpha / DIGIT ) 0*240( keychar ); system-id = lcalpha 0*13( keychar )
    private static func isValidKey(_ key: [UInt8]) -> Bool {
        if let at = key.firstIndex(of: UInt8(ascii: "@")) {
            let tenant = key[..<at]
            let system = key[(at + 1)...]
            guard let t0 = tenant.first, isLowerAlpha(t0) || isDigit(t0), tenant.count <= 241,
                tenant.dropFirst().allSatisfy(isKeyChar)
            else { return false }
            guard let s0 = system.first, isLowerAlpha(s0), system.count <= 14,
                system.dropFirst().allSatisfy(isKeyChar)
            else { return false }
            return true
        }
        guard let first = key.first, isLowerAlpha(first), key.count <= 256 else { return false }
        return key.dropFirst().allSatisfy(isKeyChar)
    }

    /// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
    private static func isValidValue(_ value: some Collection<UInt8>) -> Bool {
        guard !value.isEmpty, value.count <= 256 else { return false }
        var last: UInt8 = 0
        for c in value {
            guard c == 0x20 || (c >= 0x21 && c <= 0x7E && c != 0x2C && c != 0x3D) else { return false }
            last = c
        }
        return last != 0x20
    }
}
