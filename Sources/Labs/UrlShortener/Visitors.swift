import Foundation
import LabKit
import NIOHTTP1
import Synchronization

/// The people using the shortener, driven by the load generator. They shorten brand-new URLs (each
/// one unique, remembered in the ledger with the code they were given) and follow links they were
/// given earlier, checking where each redirect really leads:
///
///     POST /links   shortens BATCH_SIZE new URLs (one POST /urls)            → {"created": n}
///     GET  /follow  follows a random earlier link (GET /r/{code}, not followed further); a request
///                   with `Cache-Control: no-cache` passes it on, so the shortener reads PostgreSQL
///     POST /audit   resolves every code in the ledger and counts the wrong ones (see LinkAudit), in the background
///
/// `redirects_followed_total{result="correct|wrong|missing"}` counts the follows.
enum Visitors {
    static let batchSizeKnob = Knob.wholeNumber(
        "BATCH_SIZE", default: 100, in: 1...ShortenerService.maxBatch, "new URLs shortened per POST /links")
    static let knobs: [any LabKnob] = [batchSizeKnob]

    static func build(_ service: LabService) async throws {
        let batchSize = try service.knobs.read(batchSizeKnob)
        var peer = try service.context.peer("shortener", timeout: .seconds(10))
        peer.followsRedirects = false // a redirect is the answer to check, not a page to fetch
        let shortener = peer
        let ledger = LinkLedger()
        let audit = LinkAudit(shortener: shortener, ledger: ledger)
        LinkAudit.registerMetrics()
        let followed = { @Sendable (result: String) in Counter(label: "redirects_followed_total", dimensions: [("result", result)]) }
        for result in ["correct", "wrong", "missing"] { followed(result).increment(by: 0) }
        let run = UUID().uuidString.prefix(8).lowercased() // unique URLs across restarts
        let sequence = Atomic<Int>(0)

        service.router.post("/links") { _, _ -> Response in
            let first = sequence.wrappingAdd(batchSize, ordering: .relaxed).oldValue
            let urls = (first..<first + batchSize).map { "https://example.com/articles/\(run)/\($0)" }
            let reply = try await shortener.post(
                "/urls", route: "/urls", headers: ["content-type": "application/json"],
                body: ByteBuffer(bytes: try JSONEncoder().encode(ShortenerMessages.CreateRequest(urls: urls))))
            guard reply.isSuccess, let created = try? reply.decode(ShortenerMessages.CreatedLinks.self), created.links.count == urls.count
            else {
                return .jsonError("the shortener answered \(reply.status): \(reply.text.prefix(200))", status: .badGateway)
            }
            // What WE submitted, with the code we were given for it.
            let links = zip(urls, created.links).map { Link(code: $1.code, url: $0) }
            ledger.record(links)
            return .json(["created": .number(Double(links.count))], status: .created)
        }

        service.router.get("/follow") { request, _ -> Response in
            guard let link = ledger.random() else { return .json(["followed": .null, "note": "no links yet"]) }
            var headers: HTTPHeaders = [:]
            if let cacheControl = request.headers[.cacheControl] { headers.add(name: "cache-control", value: cacheControl) }
            let reply = try await shortener.get("/r/\(link.code)", route: "/r/{code}", headers: headers)
            guard reply.status == 302 || reply.status == 404 else {
                return .jsonError("the shortener answered \(reply.status): \(reply.text.prefix(200))", status: .badGateway)
            }
            let location = reply.headers.first(name: "location")
            let result = location == nil ? "missing" : location == link.url ? "correct" : "wrong"
            followed(result).increment()
            return .json([
                "code": .string(link.code), "submitted": .string(link.url), "redirected_to": location.map(JSONValue.string) ?? .null,
                "result": .string(result),
            ])
        }

        // The audit runs in the background (a large ledger takes longer than a caller wants to wait):
        // `POST /audit` answers 202 at once; `?wait=true` waits for the counts. The gauges carry them.
        let logger = service.context.logger
        service.router.post("/audit") { request, _ -> Response in
            if request.uri.queryParameters.get("wait") == "true" { return .json(try await audit.run()) }
            Task {
                do {
                    let result = try await audit.run()
                    logger.info("audit: \(result)")
                } catch {
                    logger.error("audit failed: \(error)")
                }
            }
            return .json(["audit": "started", "links": .number(Double(ledger.count))], status: .accepted)
        }
    }
}
