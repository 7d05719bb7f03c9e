import LabKit
import Metrics
import Synchronization

/// `name_checks_total{answer}` (available | taken), `name_check_db_lookups_total`,
/// `bloom_answers_total{answer}` (definitely_free | maybe_taken), `bloom_false_positives_total` ("maybe"
/// for a name the database then found free), and the filter's shape: `bloom_filter_elements` (n),
/// `bloom_filter_bits` (m), `bloom_filter_hashes` (k), `bloom_filter_expected_false_positive_rate`
/// ((1 - e^(-kn/m))^k for the current n) and `bloom_filter_memory_bytes` (MEMORY USAGE of the bitmap).
final class NameCheckMetrics: Sendable {
    let databaseLookups = Counter(label: "name_check_db_lookups_total")
    let falsePositives = Counter(label: "bloom_false_positives_total")
    let filterMemory = Gauge(label: "bloom_filter_memory_bytes")
    private let available = Counter(label: "name_checks_total", dimensions: [("answer", "available")])
    private let taken = Counter(label: "name_checks_total", dimensions: [("answer", "taken")])
    private let definitelyFree = Counter(label: "bloom_answers_total", dimensions: [("answer", "definitely_free")])
    private let maybeTaken = Counter(label: "bloom_answers_total", dimensions: [("answer", "maybe_taken")])
    private let elements = Gauge(label: "bloom_filter_elements")
    private let bits = Gauge(label: "bloom_filter_bits")
    private let hashes = Gauge(label: "bloom_filter_hashes")
    private let expectedRate = Gauge(label: "bloom_filter_expected_false_positive_rate")
    private let elementCount = Mutex(0)

    init() {
        for counter in [databaseLookups, falsePositives, available, taken, definitelyFree, maybeTaken] { counter.increment(by: 0) }
    }

    func checked(available isAvailable: Bool) {
        (isAvailable ? available : taken).increment()
    }

    func bloomAnswered(maybe: Bool) {
        (maybe ? maybeTaken : definitelyFree).increment()
    }

    /// One more name in the filter.
    func filterAdded(parameters: BloomFilterParameters) {
        filterHolds(
            elementCount.withLock {
                $0 += 1
                return $0
            }, parameters: parameters)
    }

    func filterHolds(_ count: Int, parameters: BloomFilterParameters) {
        elementCount.withLock { $0 = count }
        elements.record(count)
        bits.record(parameters.bits)
        hashes.record(parameters.hashes)
        expectedRate.record(parameters.expectedFalsePositiveRate(afterAdding: count))
    }
}
