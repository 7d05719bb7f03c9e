import Hummingbird

extension Response {
    /// A JSON response from a `JSONValue` (keys sorted, so output is stable for tests and diffs).
    public static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: value.encodedString()))
        )
    }

    /// `{"error": "..."}` with the given status.
    public static func jsonError(_ message: String, status: HTTPResponse.Status) -> Response {
        .json(["error": .string(message)], status: status)
    }
}

extension JSONValue: ExpressibleByDictionaryLiteral, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByArrayLiteral
{
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

/// Lets a handler return JSON directly: `router.get("/x") { _, _ -> JSONValue in ["ok": true] }`.
extension JSONValue: ResponseGenerator {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        .json(self)
    }
}
