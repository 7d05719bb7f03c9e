import LabKit

/// Which node of the tier owns a key: the two rules the lab compares, over the same 64-bit hash of
/// the key (`StableHash`), so the only difference is the rule.
enum KeyPlacement: Sendable {
    /// hash(key) mod N over the members in order: perfectly even, and a key stays on its node only
    /// if hash mod N equals hash mod N+1: about 1 key in N+1 when the tier grows from N to N+1.
    case modulo([String])
    /// A consistent hash ring (LabKit): a new node takes over only the arcs its tokens cut out, about
    /// 1/(N+1) of the keys; the rest keep their owner.
    case ring(ConsistentHashRing<String>)

    var nodes: [String] {
        switch self {
        case .modulo(let nodes): nodes
        case .ring(let ring): ring.nodes
        }
    }

    func owner(of key: String) -> String {
        switch self {
        case .modulo(let nodes): nodes[Int(ConsistentHashRing<String>.point(ofKey: key) % UInt64(nodes.count))]
        case .ring(let ring): ring.node(for: key)!
        }
    }

    func adding(_ node: String) -> KeyPlacement {
        switch self {
        case .modulo(let nodes):
            return .modulo(nodes + [node])
        case .ring(var ring):
            ring.add(node)
            return .ring(ring)
        }
    }

    /// The share of uniformly spread keys each member should own: 1/N each under modulo, the arcs
    /// of its tokens on a ring. What the rule says; the nodes' key counts are what happened.
    var shares: [String: Double] {
        switch self {
        case .modulo(let nodes): Dictionary(uniqueKeysWithValues: nodes.map { ($0, 1 / Double(nodes.count)) })
        case .ring(let ring): ring.ownership()
        }
    }
}
