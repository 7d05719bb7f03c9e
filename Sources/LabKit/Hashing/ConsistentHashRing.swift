/// A consistent hash ring: which node of a tier (cache nodes, shards) owns a key, such that adding a
/// node moves only the keys the new node takes over, about 1/N of them, and nothing else.
///
/// Every node is placed on a circle of 2^64 points at `virtualNodes` pseudo-random points (its
/// tokens: `StableHash` of "<node>#<i>"); a key belongs to the first token at or after the key's own
/// point, clockwise, wrapping past the top. A new node's tokens cut arcs out of its neighbours' and
/// takes exactly those keys; every other key keeps its owner. With one token per node the arcs are
/// as uneven as random points make them (one node may own twice another's share); with ~150 tokens
/// each node owns the sum of many small arcs, close to 1/N.
///
/// The same node name gives the same tokens in every process and on every run (no `Hasher` seed),
/// so two clients that agree on the members agree on every key's owner. A value type: copy it, add
/// a node to the copy, compare owners to see which keys move.
public struct ConsistentHashRing<Node: Hashable & Sendable & CustomStringConvertible>: Sendable {
    /// One point of the circle and the node that owns the arc ending at it.
    public struct Token: Sendable, Equatable {
        public let point: UInt64
        public let node: Node
    }

    /// Tokens per node (at least 1).
    public let virtualNodes: Int
    /// The members, in the order they were added.
    public private(set) var nodes: [Node] = []
    /// Every token, by point (ties, astronomically rare, by node name, so every process agrees).
    public private(set) var tokens: [Token] = []

    public init(virtualNodes: Int = 150, nodes: [Node] = []) {
        precondition(virtualNodes >= 1, "a node needs at least one token on the ring")
        self.virtualNodes = virtualNodes
        for node in nodes { add(node) }
    }

    /// The point a key hashes to.
    public static func point(ofKey key: String) -> UInt64 { StableHash.hash64(key) }

    /// The point of a node's `index`-th token.
    public static func point(of node: Node, token index: Int) -> UInt64 { StableHash.hash64("\(node)#\(index)") }

    public func contains(_ node: Node) -> Bool { nodes.contains(node) }

    /// Adds `node` with its tokens; false if it is already a member.
    @discardableResult
    public mutating func add(_ node: Node) -> Bool {
        guard !contains(node) else { return false }
        nodes.append(node)
        tokens += (0..<virtualNodes).map { Token(point: Self.point(of: node, token: $0), node: node) }
        tokens.sort { $0.point != $1.point ? $0.point < $1.point : $0.node.description < $1.node.description }
        return true
    }

    /// Removes `node` and its tokens: its keys go to the next tokens clockwise; false if not a member.
    @discardableResult
    public mutating func remove(_ node: Node) -> Bool {
        guard let index = nodes.firstIndex(of: node) else { return false }
        nodes.remove(at: index)
        tokens.removeAll { $0.node == node }
        return true
    }

    /// The node that owns `key`; nil for an empty ring.
    public func node(for key: String) -> Node? { node(atPoint: Self.point(ofKey: key)) }

    /// The owner of a point: the first token at or after it (binary search), wrapping to the first token.
    public func node(atPoint point: UInt64) -> Node? {
        guard !tokens.isEmpty else { return nil }
        var low = 0
        var high = tokens.count
        while low < high {
            let middle = (low + high) / 2
            if tokens[middle].point < point { low = middle + 1 } else { high = middle }
        }
        return tokens[low == tokens.count ? 0 : low].node
    }

    /// The share of the circle each member owns (0...1, summing to 1): the share of uniformly spread
    /// keys it should hold. What it *should* hold; the keys a node really holds are counted by the node.
    public func ownership() -> [Node: Double] {
        guard let last = tokens.last else { return [:] }
        var shares = Dictionary(uniqueKeysWithValues: nodes.map { ($0, 0.0) })
        guard tokens.count > 1 else {
            shares[last.node] = 1
            return shares
        }
        let circle = 18_446_744_073_709_551_616.0 // 2^64
        var previous = last.point
        for token in tokens {
            // The arc (previous, token.point], wrapping past the top for the first token.
            shares[token.node, default: 0] += Double(token.point &- previous) / circle
            previous = token.point
        }
        return shares
    }

    /// The largest share over the mean share (1: perfectly even; 2: one node owns twice its part).
    public func imbalance() -> Double {
        let shares = ownership().values
        guard let largest = shares.max(), !shares.isEmpty else { return 1 }
        return largest * Double(shares.count)
    }
}
