import LabKit

/// The release controller's knobs (the variants set STRATEGY; `labsvc knobs week19` lists them).
struct ReleaseSettings: Sendable {
    enum Strategy: String, Sendable { case bigBang = "big-bang", canary }

    var strategy: Strategy
    /// HAProxy's Runtime API (`host:port`), given by the balancer as LB_RUNTIME_API.
    var runtimeAPI: String
    var stableRole: String
    var canaryRole: String
    /// The canary's share of requests at each step, in percent; the last is 100.
    var steps: [Int]
    /// How long a step must stay healthy before the next one.
    var stepHold: Duration
    /// The window the error rate is measured over (restarted at each step).
    var window: Duration
    /// No decision on fewer requests than this in the window.
    var minimumSamples: Int
    /// The success objective: 0.99 leaves an error budget of 1 %.
    var objective: Double
    /// Roll back when the canary spends its budget this many times faster than the objective allows.
    var maximumBurnRate: Double
    var checkInterval: Duration

    static let strategyKnob = Knob.choice(
        "STRATEGY", among: ["big-bang", "canary"], default: "canary",
        "`big-bang`: all traffic to the new release at once; `canary`: a small share first, watched, rolled back or promoted")
    static let runtimeAPIKnob = Knob.string(
        "LB_RUNTIME_API", default: "127.0.0.1:9999", "HAProxy's Runtime API (host:port), from the balancer")
    static let stableRoleKnob = Knob.string("STABLE_ROLE", default: "v1", "the servers of the running release (a role behind the balancer)")
    static let canaryRoleKnob = Knob.string("CANARY_ROLE", default: "v2", "the servers of the new release")
    static let stepsKnob = Knob.string(
        "CANARY_STEPS", default: "5,25,50,100", "the canary's share at each step, in percent, comma-separated")
    static let stepHoldKnob = Knob.milliseconds("STEP_HOLD_MS", default: 15_000, in: 100...3_600_000, "how long a step must stay healthy")
    static let windowKnob = Knob.milliseconds("WINDOW_MS", default: 10_000, in: 100...3_600_000, "the error rate's window")
    static let minimumSamplesKnob = Knob.wholeNumber(
        "MIN_SAMPLES", default: 40, in: 1...1_000_000, "no decision on fewer canary requests than this in the window")
    static let objectiveKnob = Knob.number("SLO", default: 0.99, in: 0.5...0.99999, "the success objective; 1 - SLO is the error budget")
    static let burnRateKnob = Knob.number(
        "MAX_BURN_RATE", default: 10, in: 1...1_000, "roll back when the canary's error rate exceeds this many times the budget")
    static let checkKnob = Knob.milliseconds(
        "CHECK_MS", default: 500, in: 50...60_000, "how often the controller reads the balancer's counters")

    static let knobs: [any LabKnob] = [
        strategyKnob, runtimeAPIKnob, stableRoleKnob, canaryRoleKnob, stepsKnob, stepHoldKnob, windowKnob, minimumSamplesKnob,
        objectiveKnob, burnRateKnob, checkKnob,
    ]

    struct StepsError: Error, CustomStringConvertible {
        let text: String
        var description: String { "CANARY_STEPS=\(text): expected percentages 1-100, comma-separated, ending with 100" }
    }

    init(_ knobs: KnobReader) throws {
        strategy = Strategy(rawValue: try knobs.read(Self.strategyKnob))!
        runtimeAPI = try knobs.read(Self.runtimeAPIKnob)
        stableRole = try knobs.read(Self.stableRoleKnob)
        canaryRole = try knobs.read(Self.canaryRoleKnob)
        let stepsText = try knobs.read(Self.stepsKnob)
        steps = stepsText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !steps.isEmpty, steps.allSatisfy({ (1...100).contains($0) }), steps.last == 100 else {
            throw StepsError(text: stepsText)
        }
        stepHold = try knobs.read(Self.stepHoldKnob)
        window = try knobs.read(Self.windowKnob)
        minimumSamples = try knobs.read(Self.minimumSamplesKnob)
        objective = try knobs.read(Self.objectiveKnob)
        maximumBurnRate = try knobs.read(Self.burnRateKnob)
        checkInterval = try knobs.read(Self.checkKnob)
    }
}
