import Foundation
import LabKit

/// What the console draws on every chart: the scenario's phases as bands and what was done to the
/// lab (faults set and cleared, kills, restarts, variant switches) as markers, in wall-clock time.
public struct ConsoleTimeline: Sendable {
    public struct Phase: Sendable, Equatable {
        public var name: String
        /// Unix seconds.
        public var start: Double
        public var end: Double
    }

    public struct Action: Sendable, Equatable {
        /// Unix seconds.
        public var time: Double
        public var description: String
        /// `scenario` (the lab's timeline), `console` (a control on the page) or `cli` (`labctl kill` & co.).
        public var source: String
        public var error: String?
    }

    public private(set) var phases: [Phase] = []
    public private(set) var actions: [Action] = []
    /// Actions older than this many seconds are forgotten (the console shows the last minutes).
    let keepSeconds: Double = 3600

    public mutating func record(_ description: String, source: String, error: String? = nil, at time: Double = Date().timeIntervalSince1970)
    {
        actions.append(Action(time: time, description: description, source: source, error: error))
        actions.removeAll { $0.time < time - keepSeconds }
    }

    /// A scenario run's phases replace the previous run's.
    public mutating func setPhases(_ phases: [Phase]) { self.phases = phases }

    func json(from: Double? = nil) -> JSONValue {
        .object([
            "phases": .array(phases.map { .object(["name": .string($0.name), "start": .number($0.start), "end": .number($0.end)]) }),
            "actions": .array(
                actions.filter { $0.time >= (from ?? 0) }.map { action in
                    .object([
                        "time": .number(action.time), "description": .string(action.description), "source": .string(action.source),
                        "error": action.error.map(JSONValue.string) ?? .null,
                    ])
                }),
        ])
    }
}
