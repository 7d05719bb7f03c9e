import LabKit

/// The knobs every hop (and, for the first two, the ledger) reads.
struct BudgetHopSettings {
    var deadlines: Bool
    var cancelOnDisconnect: Bool
    var hopTimeout: Duration
    var hopWork: Duration
    var minimumBudget: Duration

    static let deadlinesKnob = Knob.flag(
        "DEADLINES", default: false,
        "honour the caller's x-request-timeout-ms: spend from it, check it before each call (and before ledger work), forward what is left")
    static let cancelKnob = Knob.flag(
        "CANCEL_ON_DISCONNECT", default: false, "stop a request's work (and its own downstream call) when the caller closes the connection")
    static let hopTimeoutKnob = Knob.milliseconds(
        "HOP_TIMEOUT_MS", default: 1_000, in: 1...600_000,
        "the fixed timeout of this hop's call to the next (capped by the deadline when DEADLINES=on)")
    static let hopWorkKnob = Knob.milliseconds(
        "HOP_WORK_MS", default: 5, in: 0...60_000, "this hop's own work per request, before it calls on")
    static let minimumBudgetKnob = Knob.milliseconds(
        "MIN_BUDGET_MS", default: 20, in: 0...60_000, "DEADLINES=on: with less than this left, answer 504 instead of calling on")

    static let knobs: [any LabKnob] = [deadlinesKnob, cancelKnob, hopTimeoutKnob, hopWorkKnob, minimumBudgetKnob]
    /// What the ledger reads of these.
    static let ledgerKnobs: [any LabKnob] = [deadlinesKnob, cancelKnob]

    init(_ knobs: KnobReader) throws {
        deadlines = try knobs.read(Self.deadlinesKnob)
        cancelOnDisconnect = try knobs.read(Self.cancelKnob)
        hopTimeout = try knobs.read(Self.hopTimeoutKnob)
        hopWork = try knobs.read(Self.hopWorkKnob)
        minimumBudget = try knobs.read(Self.minimumBudgetKnob)
    }
}
