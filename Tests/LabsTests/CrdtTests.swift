import XCTest

@testable import Labs

/// Week 49's replicated types: the merge laws (commutative, associative, idempotent) on states built
/// by random operations on three replicas, add-wins for the OR-set, and what last-writer-wins loses.
final class CrdtTests: XCTestCase {
    private let replicas = ["replica-1", "replica-2", "replica-3"]

    private func randomCounter(_ generator: inout some RandomNumberGenerator) -> PNCounter {
        var counter = PNCounter()
        for _ in 0..<Int.random(in: 0...20, using: &generator) {
            counter.add(Bool.random(using: &generator) ? 1 : -1, on: replicas.randomElement(using: &generator)!)
        }
        return counter
    }

    private func randomSet(_ generator: inout some RandomNumberGenerator, seq: inout Int) -> ORSet {
        var set = ORSet()
        for _ in 0..<Int.random(in: 0...20, using: &generator) {
            let element = ["a", "b", "c", "d"].randomElement(using: &generator)!
            if Bool.random(using: &generator) {
                seq += 1
                set.add(element, tag: Tag(replica: replicas.randomElement(using: &generator)!, seq: seq))
            } else {
                set.remove(element)
            }
        }
        return set
    }

    func testPNCounterMergeIsCommutativeAssociativeAndIdempotent() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let a = randomCounter(&generator)
            let b = randomCounter(&generator)
            let c = randomCounter(&generator)
            XCTAssertEqual(a.merged(with: b), b.merged(with: a))
            XCTAssertEqual(a.merged(with: b).merged(with: c), a.merged(with: b.merged(with: c)))
            XCTAssertEqual(a.merged(with: a), a)
        }
    }

    func testORSetMergeIsCommutativeAssociativeAndIdempotent() {
        var generator = SystemRandomNumberGenerator()
        var seq = 0
        for _ in 0..<200 {
            let a = randomSet(&generator, seq: &seq)
            let b = randomSet(&generator, seq: &seq)
            let c = randomSet(&generator, seq: &seq)
            XCTAssertEqual(a.merged(with: b), b.merged(with: a))
            XCTAssertEqual(a.merged(with: b).merged(with: c), a.merged(with: b.merged(with: c)))
            XCTAssertEqual(a.merged(with: a), a)
        }
    }

    func testLWWMergeIsCommutativeAssociativeAndIdempotent() {
        let a = LWWRegister(value: 1, timestamp: 10, writer: "replica-1")
        let b = LWWRegister(value: 2, timestamp: 10, writer: "replica-2")
        let c = LWWRegister(value: 3, timestamp: 9, writer: "replica-3")
        XCTAssertEqual(a.merged(with: b), b.merged(with: a))
        XCTAssertEqual(a.merged(with: b).merged(with: c), a.merged(with: b.merged(with: c)))
        XCTAssertEqual(a.merged(with: a), a)
    }

    /// Two replicas count concurrently; after they exchange states both hold the sum.
    func testPNCounterKeepsEveryReplicasIncrements() {
        var one = PNCounter()
        var two = PNCounter()
        for _ in 0..<5 { one.add(1, on: "replica-1") }
        for _ in 0..<3 { two.add(1, on: "replica-2") }
        two.add(-1, on: "replica-2")
        XCTAssertEqual(one.merged(with: two).value, 7)
        XCTAssertEqual(two.merged(with: one).value, 7)
    }

    /// The same two histories in whole-value last-writer-wins registers: the later writer's count wins.
    func testLWWCounterLosesTheOtherSidesIncrements() {
        var one = LastWriterWinsState()
        var two = LastWriterWinsState()
        for i in 0..<5 {
            one.apply(.add(counter: "x", delta: 1), on: "replica-1", now: 100 + Int64(i), tag: Tag(replica: "replica-1", seq: i))
        }
        for i in 0..<3 {
            two.apply(.add(counter: "x", delta: 1), on: "replica-2", now: 200 + Int64(i), tag: Tag(replica: "replica-2", seq: i))
        }
        one.merge(two)
        XCTAssertEqual(one.counter("x"), 3)
    }

    /// A re-add on one side concurrent with a remove on the other: the element stays (add wins); a
    /// remove of everything observed, with no concurrent add, stays removed.
    func testORSetAddWins() {
        var seed = ORSet()
        seed.add("c", tag: Tag(replica: "replica-1", seq: 1))
        seed.add("a", tag: Tag(replica: "replica-1", seq: 2))
        var sideA = seed
        var sideB = seed
        sideA.add("c", tag: Tag(replica: "replica-1", seq: 3))
        sideA.remove("a")
        sideB.remove("c")
        let merged = sideA.merged(with: sideB)
        XCTAssertTrue(merged.contains("c"))
        XCTAssertFalse(merged.contains("a"))
        XCTAssertEqual(merged.elements, ["c"])
    }

    /// The lab's script, applied to CRDT states: the add-wins answer, whichever order the merges run in.
    func testSetScriptGivesTheAddWinsAnswer() {
        var states = [ConflictFreeState(), ConflictFreeState(), ConflictFreeState()]
        var seq = 0
        func run(_ step: SetScript.Step) {
            let (index, ops) = SetScript.operations(step)
            for op in ops {
                seq += 1
                let operation: ReplicaOperation =
                    switch op {
                    case .add(let element): .insert(set: SetScript.set, element: element)
                    case .remove(let element): .remove(set: SetScript.set, element: element)
                    }
                states[index].apply(operation, on: replicas[index], now: 0, tag: Tag(replica: replicas[index], seq: seq))
            }
        }
        run(.seed)
        states[1].merge(states[0])
        states[2].merge(states[0])
        run(.sideA)
        run(.sideB)
        states[2].merge(states[1])
        run(.sideBLater)
        let healed = [states[0], states[1], states[2]].reduce(into: ConflictFreeState()) { $0.merge($1) }
        XCTAssertEqual(Set(healed.elements(of: SetScript.set)), SetScript.present)
        var reversed = states[2]
        reversed.merge(states[0])
        reversed.merge(states[1])
        XCTAssertEqual(reversed.digest, healed.digest)
    }
}
