import Crypto
import Foundation

/// How a webhook proves where it came from and when (the Standard Webhooks scheme):
///
///     webhook-id: <event id>
///     webhook-timestamp: <unix seconds at send time>
///     webhook-signature: v1=<hex HMAC-SHA256(secret, "<id>.<timestamp>.<the exact body bytes>")>
///
/// The MAC covers the bytes on the wire, not a re-serialisation of the parsed JSON (key order and
/// whitespace would change it), and the timestamp, so a captured request cannot be replayed once it
/// is older than the receiver's tolerance. The sender signs each attempt afresh: a retry an hour
/// later carries its own timestamp. Verification compares in constant time (swift-crypto).
struct WebhookSignature: Sendable {
    static let idHeader = "webhook-id"
    static let timestampHeader = "webhook-timestamp"
    static let signatureHeader = "webhook-signature"

    private let key: SymmetricKey

    init(secret: String) {
        key = SymmetricKey(data: Data(secret.utf8))
    }

    func sign(id: String, timestamp: Int64, body: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Self.signedContent(id: id, timestamp: timestamp, body: body), using: key)
        return "v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    enum Verdict: Equatable {
        case valid
        /// 400: a header is missing or unreadable.
        case malformed(String)
        /// 401: the timestamp is outside the tolerance (a replay, or a badly skewed clock).
        case stale(ageSeconds: Int64)
        /// 401: the MAC does not match these bytes.
        case badSignature
    }

    func verify(id: String?, timestamp: String?, signature: String?, body: [UInt8], now: Int64, toleranceSeconds: Int64) -> Verdict {
        guard let id, !id.isEmpty else { return .malformed("missing \(Self.idHeader)") }
        guard let timestamp, let sentAt = Int64(timestamp) else { return .malformed("missing or non-numeric \(Self.timestampHeader)") }
        guard let signature, signature.hasPrefix("v1="), let mac = Self.bytes(fromHex: signature.dropFirst(3)) else {
            return .malformed("missing \(Self.signatureHeader) (expected v1=<hex HMAC-SHA256>)")
        }
        let age = now - sentAt
        guard abs(age) <= toleranceSeconds else { return .stale(ageSeconds: age) }
        let content = Self.signedContent(id: id, timestamp: sentAt, body: body)
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: content, using: key) ? .valid : .badSignature
    }

    private static func signedContent(id: String, timestamp: Int64, body: [UInt8]) -> [UInt8] {
        Array("\(id).\(timestamp).".utf8) + body
    }

    private static func bytes(fromHex hex: Substring) -> [UInt8]? {
        guard hex.count == 64 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(32)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            result.append(byte)
            index = next
        }
        return result
    }
}
