/// Who reads which partition: the group's deterministic assignment, computed by every member from
/// the same list of live members (each member's view of the heartbeats), as Kafka's round-robin
/// assignor does on the group leader. A partition has exactly one owner in a settled group, so the
/// partition's messages are processed in order; a group with more members than partitions leaves
/// the extra members with nothing to do.
enum PartitionAssignment {
    /// Live members: those whose last heartbeat (milliseconds) is at most `sessionTimeout` old,
    /// sorted by name so every member computes the same order.
    static func liveMembers(heartbeats: [String: Double], now: Double, sessionTimeoutMs: Double) -> [String] {
        heartbeats.filter { now - $0.value <= sessionTimeoutMs }.keys.sorted { naturalOrder($0, $1) }
    }

    /// Partition p → members[p % members.count]. Every member gets a list (empty = idle).
    static func assign(partitions: Int, members: [String]) -> [String: [Int]] {
        var owned: [String: [Int]] = Dictionary(uniqueKeysWithValues: members.map { ($0, []) })
        guard !members.isEmpty else { return owned }
        for partition in 0..<partitions {
            owned[members[partition % members.count], default: []].append(partition)
        }
        return owned
    }

    /// Members with no partition: in a group larger than the partition count, `members - partitions`.
    static func idleMembers(partitions: Int, members: [String]) -> [String] {
        let owned = assign(partitions: partitions, members: members)
        return members.filter { owned[$0]?.isEmpty ?? true }
    }

    /// "consumer-2" before "consumer-10": names compared by their text, then by a trailing number.
    static func naturalOrder(_ lhs: String, _ rhs: String) -> Bool {
        let (lhsStem, lhsNumber) = split(lhs)
        let (rhsStem, rhsNumber) = split(rhs)
        if lhsStem != rhsStem { return lhsStem < rhsStem }
        if lhsNumber != rhsNumber { return (lhsNumber ?? -1) < (rhsNumber ?? -1) }
        return lhs < rhs
    }

    private static func split(_ name: String) -> (Substring, Int?) {
        let digits = name.reversed().prefix { $0.isNumber }
        guard !digits.isEmpty else { return (Substring(name), nil) }
        return (name.dropLast(digits.count), Int(String(digits.reversed())))
    }
}
