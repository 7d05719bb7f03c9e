import LabKit

/// The api's knobs (the lab's variants set them; `labsvc knobs week32` and the README list them).
struct UniqueVisitorsSettings {
    enum Counting: String, CaseIterable, Sendable {
        /// A Redis SET per page and day: every visitor id stored, counts exact.
        case exactSet = "exact-set"
        /// A Redis HyperLogLog per page and day: 16,384 6-bit registers, counts estimated.
        case hyperloglog
    }

    var counting: Counting
    var days: Int
    var visitorsPerDay: Int
    var population: Int
    var pages: [String]
    var seed: UInt64

    static let countingKnob = Knob<Counting>.choice(
        "COUNTING", default: .exactSet,
        "`exact-set`: a Redis SET per page and day (SADD, SCARD, SUNIONSTORE); `hyperloglog`: a HyperLogLog (PFADD, PFCOUNT, PFMERGE)")
    static let daysKnob = Knob.wholeNumber("DAYS", default: 30, in: 1...366, "days of history loaded at start (the last one is today)")
    static let visitorsKnob = Knob.wholeNumber(
        "VISITORS_PER_DAY", default: 50_000, in: 1...10_000_000, "distinct visitors of each page on each loaded day")
    static let populationKnob = Knob.wholeNumber(
        "POPULATION", default: 1_200_000, in: 1...100_000_000, "visitor ids are 1…POPULATION (each day's visitors are drawn from them)")
    static let pagesKnob = Knob.string("PAGES", default: "home", "the pages, comma-separated (each gets its own keys)")
    static let seedKnob = Knob.wholeNumber(
        "SEED", default: 32, in: 0...Int.max, "seeds the loaded history, so every run loads the same visits")

    static let knobs: [any LabKnob] = [countingKnob, daysKnob, visitorsKnob, populationKnob, pagesKnob, seedKnob]

    init(_ knobs: KnobReader) throws {
        counting = try knobs.read(Self.countingKnob)
        days = try knobs.read(Self.daysKnob)
        visitorsPerDay = try knobs.read(Self.visitorsKnob)
        population = try knobs.read(Self.populationKnob)
        pages = try knobs.read(Self.pagesKnob).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        seed = UInt64(try knobs.read(Self.seedKnob))
        guard visitorsPerDay <= population else {
            throw LabStartupError("VISITORS_PER_DAY=\(visitorsPerDay) is more than POPULATION=\(population): a day's visitors are distinct")
        }
        guard !pages.isEmpty else { throw LabStartupError("PAGES is empty: name at least one page") }
    }
}
