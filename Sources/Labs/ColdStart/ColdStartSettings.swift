import LabKit

/// The knobs of a catalog replica. The fleet and the replica that joins run the same code; the lab
/// changes only when the joining replica says it is ready (`READY_WHEN`) and, at the balancer, how
/// fast its share of the traffic grows (`slow_start` in lab.yaml).
struct ColdStartSettings {
    enum ReadyWhen: String, CaseIterable, Sendable {
        /// `/readyz` answers 200 as soon as the server listens: the pool has no connection yet and
        /// the cache is empty.
        case listening
        /// `/readyz` answers 503 until the pool holds all its connections and the cache holds every
        /// product page.
        case warm
    }

    static let readyWhen = Knob.choice(
        "READY_WHEN", among: ReadyWhen.allCases.map(\.rawValue), default: ReadyWhen.listening.rawValue,
        "listening: ready once the server listens (cold pool, empty cache); warm: ready once the pool is open and the cache loaded")

    static let knobs: [any LabKnob] = [readyWhen] + LabPostgres.knobs

    let readyWhen: ReadyWhen

    init(_ knobs: KnobReader) throws {
        let raw = try knobs.read(Self.readyWhen)
        guard let readyWhen = ReadyWhen(rawValue: raw) else { throw LabStartupError("READY_WHEN=\(raw): expected listening or warm") }
        self.readyWhen = readyWhen
    }
}
