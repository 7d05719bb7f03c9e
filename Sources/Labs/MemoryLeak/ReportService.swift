import LabKit
import ServiceLifecycle

/// KEY IDEA: a leak is memory the program still references but will never use again, so no
/// allocator or garbage collector can take it back. Two shapes cover most of them: a cache without
/// a bound (a memo dictionary keyed by something that never repeats grows with every request), and
/// a subscription nobody cancels (each listener keeps alive whatever its closure captured). Under a
/// memory limit the process grows until it is killed, starts again empty, and grows again: the
/// saw-tooth on the resident-memory panel, and the failed requests at every kill. The fix is a
/// bound on the cache (LRU: the least recently used report goes when a new one comes) and a
/// subscription scoped to the request (removed when it ends); then memory stays flat under the
/// same load. The panels find it: resident memory and heap in use climb together with cache
/// entries and listeners, not with requests in flight.
enum ReportService {
    static func build(_ service: LabService) async throws {
        let settings = try ReportSettings(service.knobs)
        let cache: any ReportCache = settings.boundedCache ? LRUReportCache(capacity: settings.cacheEntries) : UnboundedReportCache()
        let feed = PriceFeed()
        let lookups = ["hit", "miss"].reduce(into: [String: Counter]()) {
            $0[$1] = Counter(label: "report_cache_requests_total", dimensions: [("result", $1)])
        }
        service.addService(MemoryGauges(cache: cache, feed: feed))

        service.router.get("/report/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            // The report is rendered from a price table; while the request lives it listens for
            // price changes to that table (the listener captures it: about 8 KB).
            let prices = RenderContext(id: id)
            let token = feed.subscribe { product, price in prices.priceChanged(product, price) }
            defer { if settings.scopedListeners { feed.unsubscribe(token) } }

            if let report = cache.get(id) {
                lookups["hit"]?.increment()
                return summary(id, report, cached: true)
            }
            lookups["miss"]?.increment()
            let report = prices.render(bytes: settings.reportBytes)
            cache.put(id, report)
            return summary(id, report, cached: false)
        }
    }

    /// The answer: the report's size and first line (the load generator needs no 32 KB body).
    static func summary(_ id: String, _ report: [UInt8], cached: Bool) -> Response {
        let firstLine = String(decoding: report.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        return .json(["id": .string(id), "bytes": .number(Double(report.count)), "cached": .bool(cached), "title": .string(firstLine)])
    }
}

/// The prices a report is rendered from (1,024 of them: 8 KB).
final class RenderContext: @unchecked Sendable {
    let id: String
    private var prices: [Double]

    init(id: String) {
        self.id = id
        let seed = id.unicodeScalars.reduce(UInt64(1_469_598_103_934_665_603)) { ($0 ^ UInt64($1.value)) &* 1_099_511_628_211 }
        prices = (0..<1024).map { Double((seed &+ UInt64($0) &* 2_654_435_761) % 100_000) / 100 }
    }

    /// A listener's work: the cached report is stale (nothing changes prices in this lab).
    func priceChanged(_ product: Int, _ price: Double) {}

    /// A report of about `bytes` bytes: a title, then one line per product.
    func render(bytes: Int) -> [UInt8] {
        var text = "Report \(id): \(prices.count) products\n"
        text.reserveCapacity(bytes + 64)
        var line = 0
        while text.utf8.count < bytes {
            text += "product \(line % prices.count) of report \(id): \(prices[line % prices.count])\n"
            line += 1
        }
        return Array(text.utf8.prefix(bytes))
    }
}

/// The gauges a learner finds the leak with, every half second: cache entries and bytes,
/// subscribed listeners, heap in use (`process_resident_memory_bytes` comes with every service).
struct MemoryGauges: Service {
    let cache: any ReportCache
    let feed: PriceFeed

    func run() async throws {
        let entries = Gauge(label: "report_cache_entries")
        let cacheBytes = Gauge(label: "report_cache_bytes")
        let listeners = Gauge(label: "price_listeners")
        let heap = Gauge(label: "process_heap_in_use_bytes")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                entries.record(Double(cache.count))
                cacheBytes.record(Double(cache.bytes))
                listeners.record(Double(feed.count))
                if let bytes = HeapInUse.bytes() { heap.record(Double(bytes)) }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
