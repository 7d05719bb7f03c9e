import LabKit
import Synchronization

/// The true answer, kept beside the structure under test: one bit per possible visitor id, per page and
/// day, in this process's memory (what an offline job over the raw visit log would compute). 1.2 M ids
/// are 150 KB per day. The exact-set variant's SCARD must equal it; the HyperLogLog's PFCOUNT is
/// compared with it.
final class VisitorBitsets: Sendable {
    private let population: Int
    private let bits: Mutex<[String: [[UInt64]]]>

    init(pages: [String], days: Int, population: Int) {
        self.population = population
        let empty = [UInt64](repeating: 0, count: population / 64 + 1)
        bits = Mutex(Dictionary(uniqueKeysWithValues: pages.map { ($0, Array(repeating: empty, count: days)) }))
    }

    /// Marks a visit; returns false if this visitor was already counted that day.
    @discardableResult
    func insert(page: String, day: Int, visitor: Int) -> Bool {
        bits.withLock { all in
            let word = visitor / 64
            let mask = UInt64(1) << UInt64(visitor % 64)
            guard all[page] != nil, all[page]![day][word] & mask == 0 else { return false }
            all[page]![day][word] |= mask
            return true
        }
    }

    /// Distinct visitors of the page over the given days (the size of their union).
    func count(page: String, days: Range<Int>) -> Int {
        bits.withLock { all in
            guard let perDay = all[page], !days.isEmpty else { return 0 }
            var total = 0
            for word in 0..<perDay[days.lowerBound].count {
                var union: UInt64 = 0
                for day in days { union |= perDay[day][word] }
                total += union.nonzeroBitCount
            }
            return total
        }
    }
}
