import Synchronization

/// The client's own record of what the store acknowledged: the truth the store is audited against.
///
/// Writes to one key are never in flight together (a write takes a key nobody is writing), so each
/// key's writes are ordered by their sequence numbers, and after a crash the key must hold its last
/// acknowledged write — or a later one whose answer never came (the store may have logged it before
/// it died). Every acknowledged write newer than what the key holds is a lost acknowledged write.
final class AcknowledgementLog: Sendable {
    struct KeyHistory: Sendable {
        var acknowledged: [UInt64] = []
        /// Sent, but no answer (the store died, or the call failed): it may or may not be stored.
        var unknown: [UInt64] = []
        var inFlight: UInt64?
    }

    struct Audit: Equatable, Sendable {
        var keys = 0
        var acknowledgedWrites = 0
        /// Acknowledged writes the store no longer has.
        var lostWrites = 0
        /// Keys whose last acknowledged write is gone.
        var keysLosingWrites = 0
        /// Values the client never wrote to that key (corrupt, or another key's).
        var wrongValues = 0
    }

    private struct State {
        var keys: [String: KeyHistory] = [:]
        var nextSequence: UInt64 = 1
        var acknowledged = 0
    }

    let valueBytes: Int
    private let state = Mutex(State())

    init(valueBytes: Int) {
        self.valueBytes = valueBytes
    }

    /// Starts a write on `key` unless one is in flight there; returns its sequence number.
    func begin(_ key: String) -> UInt64? {
        state.withLock { state in
            guard state.keys[key]?.inFlight == nil else { return nil }
            let sequence = state.nextSequence
            state.nextSequence += 1
            state.keys[key, default: KeyHistory()].inFlight = sequence
            return sequence
        }
    }

    func acknowledged(_ key: String, _ sequence: UInt64) {
        state.withLock { state in
            state.keys[key]?.acknowledged.append(sequence)
            state.keys[key]?.inFlight = nil
            state.acknowledged += 1
        }
    }

    func failed(_ key: String, _ sequence: UInt64) {
        state.withLock { state in
            state.keys[key]?.unknown.append(sequence)
            state.keys[key]?.inFlight = nil
        }
    }

    var acknowledgedCount: Int { state.withLock { $0.acknowledged } }

    /// Every key with an acknowledged write.
    var acknowledgedKeys: [String] {
        state.withLock { state in state.keys.compactMap { $0.value.acknowledged.isEmpty ? nil : $0.key } }
    }

    /// The value a write carries: its sequence number, then filler that depends on the key and the
    /// sequence, `valueBytes` long — a value from another key or a garbled one does not match.
    func value(for key: String, sequence: UInt64) -> String {
        WriteValue.make(key: key, sequence: sequence, bytes: valueBytes)
    }

    /// Compares what the store holds (`stored`: key → value, absent keys missing) with the log.
    func audit(stored: [String: String]) -> Audit {
        let keys = state.withLock { $0.keys }
        var audit = Audit()
        for (key, history) in keys where !history.acknowledged.isEmpty {
            audit.keys += 1
            audit.acknowledgedWrites += history.acknowledged.count
            var holds: UInt64 = 0 // the sequence number the store holds for the key; 0: nothing valid
            if let value = stored[key] {
                let written = history.acknowledged + history.unknown + (history.inFlight.map { [$0] } ?? [])
                if let sequence = WriteValue.sequence(of: value), written.contains(sequence),
                    value == WriteValue.make(key: key, sequence: sequence, bytes: valueBytes)
                {
                    holds = sequence
                } else {
                    audit.wrongValues += 1
                }
            }
            let lost = history.acknowledged.count { $0 > holds }
            audit.lostWrites += lost
            if lost > 0 { audit.keysLosingWrites += 1 }
        }
        return audit
    }
}

enum WriteValue {
    static func make(key: String, sequence: UInt64, bytes: Int) -> String {
        let head = "\(sequence):"
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let start = Int((UInt64(truncatingIfNeeded: key.utf8.reduce(0) { $0 &* 31 &+ Int($1) }) &+ sequence) % 26)
        let filler = (0..<max(0, bytes - head.count)).map { letters[(start + $0) % 26] }
        return head + String(filler)
    }

    static func sequence(of value: String) -> UInt64? {
        guard let colon = value.firstIndex(of: ":") else { return nil }
        return UInt64(value[..<colon])
    }
}
