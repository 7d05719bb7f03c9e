import LabKit

/// Creating short links: the code comes from the URL's truncated hash, PostgreSQL's primary key says
/// whether the code is free, and the new links are written to the cache so the first redirects are hits.
struct CreateLinks: Sendable {
    let codes: ShortCodes
    let strategy: CodeStrategy
    let maxRekeys: Int
    let store: LinkStore
    let cache: LinkCache?

    private static let created = Counter(label: "links_created_total")
    private static let rekeyed = Counter(label: "short_code_rekeys_total")
    private static let sameURL = Counter(label: "links_deduplicated_total")

    static func registerMetrics() {
        for counter in [created, rekeyed, sameURL] { counter.increment(by: 0) }
    }

    /// Not a code after `maxRekeys` new tries (with 2^bits codes mostly free, this means CODE_BITS is far too small).
    struct OutOfCodes: Error, CustomStringConvertible {
        var url: String
        var tries: Int
        var description: String { "no free code for \(url) after \(tries) tries: CODE_BITS is too small for this many links" }
    }

    /// One code per URL, in order.
    func create(_ urls: [String]) async throws -> [Link] {
        let links =
            switch strategy {
            case .hashUnchecked: try await createUnchecked(urls)
            case .hashRekeyed: try await createRekeyed(urls)
            }
        // Warm the cache with what was handed out, so the first redirects do not reach the database.
        try await cache?.store(links)
        Self.created.increment(by: links.count)
        return links
    }

    /// BEFORE — the bug. ON CONFLICT DO NOTHING keeps the insert from failing, and nobody reads what it
    /// did. A URL whose code another URL already holds is not stored, gets that code anyway, and the
    /// cache write above points the code at the NEW URL: the older link now silently redirects to the
    /// wrong page (and once the cache entry expires, the newer one redirects to the older page).
    private func createUnchecked(_ urls: [String]) async throws -> [Link] {
        let links = urls.map { Link(code: codes.code(for: $0), url: $0) }
        try await store.insertIgnoringConflicts(links)
        return links
    }

    /// AFTER — the fix. The insert says which links it stored. For each one it did not, ask who holds
    /// the code: the same URL (shortened before) keeps that code; a DIFFERENT URL is a collision, and
    /// this URL is re-keyed (hashed again with the next seed) and tried again.
    private func createRekeyed(_ urls: [String]) async throws -> [Link] {
        var done: [String: String] = [:] // url → its code
        var pending = urls.map { Link(code: codes.code(for: $0), url: $0) }
        var attempt = 0
        while !pending.isEmpty {
            let inserted = try await store.insertIgnoringConflicts(pending)
            let refused = pending.filter { !inserted.contains($0) }
            for link in pending where inserted.contains(link) { done[link.url] = link.code }
            guard !refused.isEmpty else { break }
            let holders = try await store.holders(of: refused.map(\.code))
            attempt += 1
            pending = []
            for link in refused {
                if holders[link.code] == link.url {
                    Self.sameURL.increment() // the same URL again: its existing code is the answer
                    done[link.url] = link.code
                    continue
                }
                guard attempt <= maxRekeys else { throw OutOfCodes(url: link.url, tries: attempt) }
                Self.rekeyed.increment() // a different URL holds this code: a collision, caught
                pending.append(Link(code: codes.code(for: link.url, attempt: attempt), url: link.url))
            }
        }
        return urls.map { Link(code: done[$0]!, url: $0) }
    }
}
