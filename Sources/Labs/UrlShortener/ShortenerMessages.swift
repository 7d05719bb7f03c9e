import Foundation
import LabKit

/// The shortener's JSON bodies as Codable structs: a batch of 250 URLs is decoded straight into
/// strings (the generic `JSONValue` tree costs several times more per element, at 2,500 URLs a second).
enum ShortenerMessages {
    /// `POST /urls`: `{"url": "https://…"}` or `{"urls": ["https://…", …]}`.
    struct CreateRequest: Codable {
        var url: String?
        var urls: [String]?
    }

    /// `POST /urls` → 201: one entry per URL, in the order they were sent.
    struct CreatedLinks: Codable {
        struct Item: Codable {
            var code: String
            var url: String
            var short_url: String
        }
        var links: [Item]
    }

    /// `POST /resolve`: `{"codes": [...]}`.
    struct ResolveRequest: Codable {
        var codes: [String]
    }

    /// `POST /resolve` → 200: every code asked, with its URL or null.
    struct Resolved: Codable {
        var targets: [String: String?]
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        try JSONDecoder().decode(type, from: Data(body.readableBytesView))
    }

    static func encode(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let bytes = try JSONEncoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
