// Request templates: `{id}` and `{uuid}` placeholders in paths, header values and bodies,
// parsed once so sending a request only concatenates strings.

import Foundation
import LabKit

/// A string with placeholders, split into parts once.
struct RequestTemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case literal(String)
        case id
        case uuid
    }
    let parts: [Part]

    init(_ text: String) {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            let after = rest[open...]
            if after.hasPrefix("{id}") {
                parts.append(.literal(literal))
                literal = ""
                parts.append(.id)
                rest = after.dropFirst(4)
            } else if after.hasPrefix("{uuid}") {
                parts.append(.literal(literal))
                literal = ""
                parts.append(.uuid)
                rest = after.dropFirst(6)
            } else {
                literal += "{" // not a placeholder: keep the brace
                rest = after.dropFirst()
            }
        }
        literal += rest
        parts.append(.literal(literal))
        self.parts = parts.filter { $0 != .literal("") }
    }

    var usesID: Bool { parts.contains(.id) }

    /// The text with `{id}` replaced by `id`; each `{uuid}` gets a fresh lowercase UUID.
    func render(id: Int) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .id: out += String(id)
            case .uuid: out += UUID().uuidString.lowercased()
            }
        }
        return out
    }
}

/// A request kind made ready to send: templates parsed, key sampler built.
struct PreparedKind: Sendable {
    let index: Int
    let name: String
    let method: String
    let path: RequestTemplate
    let headers: [(name: String, value: RequestTemplate)]
    let body: RequestTemplate?
    let keys: KeySampler
    let timeout: Duration
    let metrics: KindMetrics
    /// The path as written, e.g. `/items/{id}`: low-cardinality, so it names the span.
    let pathTemplate: String
    var spanName: String { "\(method) \(pathTemplate)" }

    init(_ kind: RequestKind, index: Int, defaultTimeout: Duration, metrics: KindMetrics) {
        self.index = index
        name = kind.name
        method = kind.method.uppercased()
        pathTemplate = kind.path
        self.metrics = metrics
        path = RequestTemplate(kind.path)
        headers = kind.headers.map { (name: $0.0, value: RequestTemplate($0.1)) }
        body = kind.body.map(RequestTemplate.init)
        keys = KeySampler(kind.keys)
        timeout = kind.timeout ?? defaultTimeout
    }

    /// One concrete request: a key drawn, every template filled with it.
    func render(using rng: inout SeededRandomNumberGenerator) -> RenderedRequest {
        let id = keys.sample(using: &rng)
        return RenderedRequest(
            path: path.render(id: id),
            headers: headers.map { ($0.name, $0.value.render(id: id)) },
            body: body?.render(id: id)
        )
    }
}

struct RenderedRequest: Sendable {
    var path: String
    var headers: [(String, String)]
    var body: String?
}

/// Picks a request kind by weight (a cumulative table and a binary search).
struct KindPicker: Sendable {
    private let cumulative: [Double]

    init(weights: [Double]) {
        var sum = 0.0
        cumulative = weights.map {
            sum += $0
            return sum
        }
    }

    func pick(using rng: inout SeededRandomNumberGenerator) -> Int {
        guard cumulative.count > 1 else { return 0 }
        let x = rng.nextUnit() * cumulative[cumulative.count - 1]
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if x < cumulative[mid] { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
