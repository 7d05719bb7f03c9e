import LabKit

/// The scripted set operations on the set `cart`, with the answer add-wins semantics gives.
///
///     seed (connected, on the first replica)       add a b c d
///     side A (the first replica, cut off)          remove a, add c again, remove d, add e, add g
///     side B (the second replica)                  remove b, remove d, add f
///     side B (the third, once it has B's changes)  remove c, add h
///
/// After the heal: c stays (side A's re-add is concurrent with side B's remove, which never saw it:
/// add wins), a, b and d stay removed, e, f, g and h are present. A whole-set last-writer-wins
/// register keeps one side's latest set instead: side B's {a, f, h}, so a comes back and c, e and g
/// vanish.
enum SetScript {
    static let set = "cart"
    static let present: Set<String> = ["c", "e", "f", "g", "h"]
    static let absent: Set<String> = ["a", "b", "d"]

    enum Step: String, CaseIterable, Sendable {
        case seed
        case sideA = "side-a"
        case sideB = "side-b"
        case sideBLater = "side-b-later"
    }

    enum Op {
        case add(String)
        case remove(String)
    }

    /// (replica index, operations) per step.
    static func operations(_ step: Step) -> (replica: Int, ops: [Op]) {
        switch step {
        case .seed: (0, [.add("a"), .add("b"), .add("c"), .add("d")])
        case .sideA: (0, [.remove("a"), .add("c"), .remove("d"), .add("e"), .add("g")])
        case .sideB: (1, [.remove("b"), .remove("d"), .add("f")])
        case .sideBLater: (2, [.remove("c"), .add("h")])
        }
    }

    static func run(_ step: Step, on replicas: [PeerClient]) async throws {
        let (index, ops) = operations(step)
        let replica = replicas[index % replicas.count]
        for op in ops {
            let path =
                switch op {
                case .add(let element): "/sets/\(set)/add/\(element)"
                case .remove(let element): "/sets/\(set)/remove/\(element)"
                }
            let reply = try await replica.post(path, route: "/sets/{name}/{op}/{element}")
            guard reply.isSuccess else { throw LabStartupError("\(path) answered \(reply.status)") }
        }
    }
}
