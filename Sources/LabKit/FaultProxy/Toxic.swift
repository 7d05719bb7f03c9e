/// Which way the bytes flow through the proxy.
public enum ToxicStream: String, Sendable, Hashable, CaseIterable {
    /// Client to server (requests).
    case upstream
    /// Server to client (replies). Toxiproxy's default, and ours.
    case downstream
}

/// A fault applied to the connections passing through a `FaultProxy`, modelled on Toxiproxy's toxics.
public struct Toxic: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Delay every chunk by `latency` ± `jitter`; chunks keep their order.
        case latency(latency: Duration, jitter: Duration)
        /// Deliver at most `bytesPerSecond`.
        case bandwidth(bytesPerSecond: Int)
        /// Reset the connection (TCP RST: SO_LINGER 0, then close) after `after` (zero: at once).
        case resetPeer(after: Duration)
        /// Forward nothing (data is dropped); close the connection after `after`, or never if nil.
        case timeout(after: Duration?)
        /// When the sending side closes, hold the close back for `delay`.
        case slowClose(delay: Duration)

        /// The name used in the API and in `proxy_toxic_active{type}`.
        public var typeName: String {
            switch self {
            case .latency: return "latency"
            case .bandwidth: return "bandwidth"
            case .resetPeer: return "reset_peer"
            case .timeout: return "timeout"
            case .slowClose: return "slow_close"
            }
        }

        public static let typeNames = ["latency", "bandwidth", "reset_peer", "timeout", "slow_close"]
    }

    public var name: String
    public var kind: Kind
    public var stream: ToxicStream
    /// The fraction of connections affected, 0...1; each connection rolls once per toxic.
    public var toxicity: Double

    public init(name: String? = nil, kind: Kind, stream: ToxicStream = .downstream, toxicity: Double = 1) {
        self.name = name ?? "\(kind.typeName)_\(stream.rawValue)"
        self.kind = kind
        self.stream = stream
        self.toxicity = toxicity
    }
}

// MARK: - JSON (the control API's wire format, Toxiproxy's shape; durations in milliseconds)

/// A control-API request that cannot be applied; `field` names what to fix.
public struct ToxicValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let field: String
    public let message: String
    public var description: String { "field '\(field)': \(message)" }
}

extension Toxic {
    /// `{"name":..., "type":"latency", "stream":"downstream", "toxicity":1, "attributes":{"latency":200}}`
    public var json: JSONValue {
        [
            "name": .string(name), "type": .string(kind.typeName), "stream": .string(stream.rawValue),
            "toxicity": .number(toxicity), "attributes": .object(attributes),
        ]
    }

    var attributes: [String: JSONValue] {
        func ms(_ duration: Duration) -> JSONValue { .number(Double(duration.wholeMilliseconds)) }
        switch kind {
        case .latency(let latency, let jitter): return ["latency": ms(latency), "jitter": ms(jitter)]
        case .bandwidth(let rate): return ["bytes_per_second": .number(Double(rate))]
        case .resetPeer(let after): return ["timeout": ms(after)]
        case .timeout(let after): return ["timeout": ms(after ?? .zero)]
        case .slowClose(let delay): return ["delay": ms(delay)]
        }
    }

    /// Parses and validates a control-API body. Every error names the offending field.
    public init(json body: some Collection<UInt8>) throws(ToxicValidationError) {
        let parsed: JSONValue
        do { parsed = try JSONValue.parse(body) } catch { throw ToxicValidationError(field: "body", message: "is not valid JSON") }
        guard case .object(let object) = parsed else {
            throw ToxicValidationError(field: "body", message: "must be a JSON object")
        }
        let known: Set<String> = ["name", "type", "stream", "toxicity", "attributes"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ToxicValidationError(
                field: unknown, message: "is not a toxic field (expected \(known.sorted().joined(separator: ", ")))")
        }
        guard case .string(let type)? = object["type"], Kind.typeNames.contains(type) else {
            throw ToxicValidationError(field: "type", message: "must be one of \(Kind.typeNames.joined(separator: ", "))")
        }
        var stream = ToxicStream.downstream
        if let value = object["stream"] {
            guard case .string(let text) = value, let parsedStream = ToxicStream(rawValue: text) else {
                throw ToxicValidationError(field: "stream", message: "must be \"upstream\" or \"downstream\"")
            }
            stream = parsedStream
        }
        var toxicity = 1.0
        if let value = object["toxicity"] {
            guard case .number(let number) = value, (0...1).contains(number) else {
                throw ToxicValidationError(field: "toxicity", message: "must be a number from 0 to 1")
            }
            toxicity = number
        }
        var name: String?
        if let value = object["name"] {
            guard case .string(let text) = value, Self.isValidName(text) else {
                throw ToxicValidationError(
                    field: "name", message: "must be 1-64 characters of letters, digits, '_', '-' or '.'")
            }
            name = text
        }
        let attributes: [String: JSONValue]
        switch object["attributes"] {
        case nil, .null?: attributes = [:]
        case .object(let value)?: attributes = value
        default: throw ToxicValidationError(field: "attributes", message: "must be a JSON object")
        }
        let kind = try Self.kind(type, attributes)
        self.init(name: name, kind: kind, stream: stream, toxicity: toxicity)
    }

    private static func kind(_ type: String, _ attributes: [String: JSONValue]) throws(ToxicValidationError) -> Kind {
        var reader = AttributeReader(type: type, attributes: attributes)
        let kind: Kind
        switch type {
        case "latency":
            kind = .latency(
                latency: try reader.milliseconds("latency", required: true), jitter: try reader.milliseconds("jitter"))
        case "bandwidth":
            // bytes_per_second, or Toxiproxy's `rate` in KB/s.
            if let bytes = try reader.positiveInteger("bytes_per_second") {
                kind = .bandwidth(bytesPerSecond: bytes)
            } else if let kilobytes = try reader.positiveInteger("rate") {
                kind = .bandwidth(bytesPerSecond: kilobytes * 1024)
            } else {
                throw ToxicValidationError(
                    field: "attributes.bytes_per_second", message: "is required for bandwidth (a positive integer)")
            }
        case "reset_peer":
            kind = .resetPeer(after: try reader.milliseconds("timeout"))
        case "timeout":
            let after = try reader.milliseconds("timeout")
            kind = .timeout(after: after == .zero ? nil : after)
        default: // "slow_close"
            kind = .slowClose(delay: try reader.milliseconds("delay", required: true))
        }
        try reader.rejectUnread()
        return kind
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0)
            }
    }
}

/// Reads toxic attributes, remembering which were used so that a misspelt one is an error.
private struct AttributeReader {
    let type: String
    let attributes: [String: JSONValue]
    var read: Set<String> = []

    init(type: String, attributes: [String: JSONValue]) {
        self.type = type
        self.attributes = attributes
    }

    mutating func milliseconds(_ key: String, required: Bool = false) throws(ToxicValidationError) -> Duration {
        read.insert(key)
        guard let value = attributes[key] else {
            if required {
                throw ToxicValidationError(field: "attributes.\(key)", message: "is required for \(type) (milliseconds)")
            }
            return .zero
        }
        guard case .number(let number) = value, number >= 0, number <= 86_400_000 else {
            throw ToxicValidationError(
                field: "attributes.\(key)", message: "must be a number of milliseconds from 0 to 86400000")
        }
        return .microseconds(Int64((number * 1000).rounded()))
    }

    mutating func positiveInteger(_ key: String) throws(ToxicValidationError) -> Int? {
        read.insert(key)
        guard let value = attributes[key] else { return nil }
        guard case .number(let number) = value, number >= 1, number <= 1e12, number == number.rounded() else {
            throw ToxicValidationError(field: "attributes.\(key)", message: "must be a positive integer")
        }
        return Int(number)
    }

    func rejectUnread() throws(ToxicValidationError) {
        if let extra = attributes.keys.sorted().first(where: { !read.contains($0) }) {
            throw ToxicValidationError(
                field: "attributes.\(extra)",
                message: "is not an attribute of \(type) (expected \(read.sorted().joined(separator: ", ")))")
        }
    }
}

extension Duration {
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
