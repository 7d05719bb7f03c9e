import LabKit
import Metrics
import Synchronization

/// Every id the checker received, each with the generator that handed it out: duplicates counted
/// exactly — no sample, no probabilistic sketch (a HyperLogLog or a Bloom filter would guess).
///
/// An id received a second time is a duplicate, by where its first copy came from:
/// `same_generator` (one generator handed it out twice: its clock went back) or `two_generators`
/// (two generators used the same worker id). `ids_received_total{generator}`,
/// `ids_duplicate_total{cause}`, `ids_distinct` (gauge).
final class IdLedger: Sendable {
    enum Cause: String, CaseIterable { case sameGenerator = "same_generator", twoGenerators = "two_generators" }

    struct Example: Sendable {
        let id: SnowflakeId
        let first: String
        let again: String
    }

    private struct State {
        /// id → index of the generator that first handed it out.
        var seen: [Int64: UInt8] = [:]
        var generators: [String] = []
        var duplicates: [Cause: Int] = [:]
        var examples: [Example] = []
    }

    private let state = Mutex(State())
    private let duplicateCounters: [Cause: Counter]
    private let distinct = Gauge(label: "ids_distinct")
    private let received = Mutex<[String: Counter]>([:])

    init(generators: [String]) {
        var counters: [Cause: Counter] = [:]
        for cause in Cause.allCases {
            counters[cause] = Counter(label: "ids_duplicate_total", dimensions: [("cause", cause.rawValue)])
            counters[cause]?.increment(by: 0)
        }
        duplicateCounters = counters
        distinct.record(0)
        for name in generators { receivedCounter(name).increment(by: 0) }
        state.withLock { $0.seen.reserveCapacity(2_000_000) }
    }

    private func receivedCounter(_ generator: String) -> Counter {
        received.withLock { counters in
            if let counter = counters[generator] { return counter }
            let counter = Counter(label: "ids_received_total", dimensions: [("generator", generator)])
            counters[generator] = counter
            return counter
        }
    }

    /// Records one answer of one generator.
    func record(_ ids: [Int64], from generator: String) {
        let (newDuplicates, count) = state.withLock { state -> ([Cause: Int], Int) in
            let index: UInt8
            if let known = state.generators.firstIndex(of: generator) {
                index = UInt8(known)
            } else {
                index = UInt8(state.generators.count)
                state.generators.append(generator)
            }
            var found: [Cause: Int] = [:]
            for id in ids {
                guard let first = state.seen.updateValue(index, forKey: id) else { continue }
                state.seen[id] = first // the first copy's generator stays
                let cause: Cause = first == index ? .sameGenerator : .twoGenerators
                found[cause, default: 0] += 1
                if state.examples.count < 20 {
                    state.examples.append(Example(id: SnowflakeId(raw: id), first: state.generators[Int(first)], again: generator))
                }
            }
            for (cause, n) in found { state.duplicates[cause, default: 0] += n }
            return (found, state.seen.count)
        }
        receivedCounter(generator).increment(by: ids.count)
        for (cause, n) in newDuplicates { duplicateCounters[cause]?.increment(by: n) }
        distinct.record(count)
    }

    /// The totals and the first duplicates, taken apart.
    var summary: JSONValue {
        state.withLock { state in
            let duplicates = state.duplicates.values.reduce(0, +)
            return [
                "received": .number(Double(state.seen.count + duplicates)), "distinct": .number(Double(state.seen.count)),
                "duplicates": .object(
                    Dictionary(
                        uniqueKeysWithValues: Cause.allCases.map { ($0.rawValue, JSONValue.number(Double(state.duplicates[$0] ?? 0))) })),
                "first_duplicates": .array(
                    state.examples.map { example in
                        [
                            "id": .string(String(example.id.raw)), "ms_since_epoch": .number(Double(example.id.ms)),
                            "worker_id": .number(Double(example.id.worker)), "sequence": .number(Double(example.id.sequence)),
                            "first_from": .string(example.first), "again_from": .string(example.again),
                        ]
                    }),
            ]
        }
    }
}
