import Foundation
import LabKit
import Synchronization

/// What the visitors submitted and what they were told: code → the URL they shortened. The ground
/// truth every redirect is checked against; the shortener never sees it.
final class LinkLedger: Sendable {
    private let links = Mutex<[Link]>([])

    func record(_ new: [Link]) { links.withLock { $0.append(contentsOf: new) } }
    var count: Int { links.withLock { $0.count } }
    func random() -> Link? { links.withLock { $0.randomElement() } }
    func all() -> [Link] { links.withLock { $0 } }
}

/// The audit: resolves EVERY code the visitors were given, through the shortener's redirect lookup
/// (`POST /resolve`: cache-aside, as `GET /r/{code}`, 1,000 codes a request, 4 requests at a time),
/// and counts the links whose code now leads somewhere other than the URL that was submitted.
/// Publishes `audit_links_checked`, `audit_links_wrong` and `audit_links_missing` (gauges: the last
/// completed audit's counts) and counts `audits_total{outcome="completed|failed"}`.
struct LinkAudit: Sendable {
    let shortener: PeerClient
    let ledger: LinkLedger
    static let batchSize = 1_000
    static let concurrentRequests = 4

    private static let checked = Gauge(label: "audit_links_checked")
    private static let wrong = Gauge(label: "audit_links_wrong")
    private static let missing = Gauge(label: "audit_links_missing")

    private static let completed = Counter(label: "audits_total", dimensions: [("outcome", "completed")])
    private static let failed = Counter(label: "audits_total", dimensions: [("outcome", "failed")])

    static func registerMetrics() {
        for gauge in [checked, wrong, missing] { gauge.record(0) }
        for counter in [completed, failed] { counter.increment(by: 0) }
    }

    /// Verdicts of one batch of the ledger.
    private struct Tally: Sendable {
        var wrong = 0
        var missing = 0
        var examples: [JSONValue] = []
    }

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws -> JSONValue {
        do {
            let result = try await audit(ledger.all())
            Self.completed.increment()
            return result
        } catch {
            Self.failed.increment()
            throw error
        }
    }

    private func audit(_ links: [Link]) async throws -> JSONValue {
        let batches = stride(from: 0, to: links.count, by: Self.batchSize).map { Array(links[$0..<min($0 + Self.batchSize, links.count)]) }
        var total = Tally()
        try await withThrowingTaskGroup(of: Tally.self) { group in
            var next = 0
            while next < min(Self.concurrentRequests, batches.count) {
                let batch = batches[next]
                group.addTask { try await check(batch) }
                next += 1
            }
            while let tally = try await group.next() {
                total.wrong += tally.wrong
                total.missing += tally.missing
                total.examples += tally.examples.prefix(max(0, 5 - total.examples.count))
                if next < batches.count {
                    let batch = batches[next]
                    group.addTask { try await check(batch) }
                    next += 1
                }
            }
        }
        Self.checked.record(links.count)
        Self.wrong.record(total.wrong)
        Self.missing.record(total.missing)
        return [
            "checked": .number(Double(links.count)), "wrong": .number(Double(total.wrong)),
            "missing": .number(Double(total.missing)), "examples": .array(total.examples),
        ]
    }

    /// Resolves one batch of codes and compares each target with the URL that was submitted.
    private func check(_ batch: [Link]) async throws -> Tally {
        let reply = try await shortener.post(
            "/resolve", route: "/resolve", headers: ["content-type": "application/json"],
            body: ByteBuffer(bytes: try JSONEncoder().encode(ShortenerMessages.ResolveRequest(codes: batch.map(\.code)))))
        guard reply.isSuccess, let targets = try? reply.decode(ShortenerMessages.Resolved.self).targets else {
            throw Failed(description: "audit: the shortener answered /resolve with \(reply.status): \(reply.text.prefix(200))")
        }
        var tally = Tally()
        for link in batch {
            switch targets[link.code] ?? nil {
            case nil: tally.missing += 1
            case link.url?: break
            case let other?:
                tally.wrong += 1
                if tally.examples.count < 5 {
                    tally.examples.append(["code": .string(link.code), "submitted": .string(link.url), "redirects_to": .string(other)])
                }
            }
        }
        return tally
    }
}
