import LabKit
import Synchronization
import XCTest

final class SingleFlightTests: XCTestCase {
    /// Work that counts its executions and blocks until released, so the test controls the overlap.
    final class GatedWork: Sendable {
        let executions = Atomic(0)
        let gate = AsyncGate()

        func run(_ value: Int) async throws -> Int {
            executions.add(1, ordering: .relaxed)
            await gate.wait()
            return value
        }
    }

    func testConcurrentCallsForOneKeyShareOneExecution() async throws {
        let flight = SingleFlight<String, Int>(name: "test-share")
        let work = GatedWork()
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<50 {
                group.addTask {
                    let r = try await flight.run("hot") { try await work.run(42) }
                    return (r.value, r.shared)
                }
            }
            // All 50 callers are in: the one execution is blocked on the gate, 49 wait for it.
            try await waitUntil { flight.inFlightCount == 1 && work.executions.load(ordering: .relaxed) == 1 }
            try await Task.sleep(for: .milliseconds(50))
            await work.gate.open()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(work.executions.load(ordering: .relaxed), 1, "50 concurrent callers, one execution")
        XCTAssertEqual(results.count, 50)
        XCTAssertTrue(results.allSatisfy { $0.0 == 42 })
        XCTAssertEqual(results.filter { !$0.1 }.count, 1, "exactly one leader")
        XCTAssertEqual(flight.inFlightCount, 0, "the key is free once the work finished")
    }

    func testDifferentKeysRunIndependently() async throws {
        let flight = SingleFlight<Int, Int>(name: "test-keys")
        let work = GatedWork()
        async let a = flight.run(1) { try await work.run(1) }
        async let b = flight.run(2) { try await work.run(2) }
        try await waitUntil { work.executions.load(ordering: .relaxed) == 2 }
        await work.gate.open()
        let (ra, rb) = try await (a, b)
        XCTAssertEqual([ra.value, rb.value], [1, 2])
        XCTAssertFalse(ra.shared || rb.shared)
    }

    func testAfterCompletionTheNextCallRunsFreshWork() async throws {
        let flight = SingleFlight<String, Int>(name: "test-fresh")
        let work = GatedWork()
        await work.gate.open()
        for expected in 1...3 {
            let r = try await flight.run("k") { try await work.run(0) + work.executions.load(ordering: .relaxed) }
            XCTAssertEqual(r.value, expected, "a finished run is not cached: each sequential call runs the work")
            XCTAssertFalse(r.shared)
        }
    }

    func testFollowersReceiveTheLeadersErrorAndTheKeyIsFreedAfterIt() async throws {
        struct Boom: Error {}
        let flight = SingleFlight<String, Int>(name: "test-error")
        let work = GatedWork()
        let failures = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    do {
                        _ = try await flight.run("k") {
                            _ = try await work.run(0)
                            throw Boom()
                        }
                        return false
                    } catch is Boom { return true }
                }
            }
            try await waitUntil { work.executions.load(ordering: .relaxed) == 1 }
            try await Task.sleep(for: .milliseconds(50))
            await work.gate.open()
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        XCTAssertEqual(failures, 10, "every caller sees the error of the one execution")
        XCTAssertEqual(work.executions.load(ordering: .relaxed), 1)
        let r = try await flight.run("k") { 7 }
        XCTAssertEqual(r.value, 7, "an error is not remembered")
    }

    func testACancelledLeaderDoesNotFailItsFollowers() async throws {
        let flight = SingleFlight<String, Int>(name: "test-cancel")
        let work = GatedWork()
        let leader = Task { try await flight.run("k") { try await work.run(5) } }
        try await waitUntil { work.executions.load(ordering: .relaxed) == 1 }
        let follower = Task { try await flight.run("k") { try await work.run(6) } }
        try await Task.sleep(for: .milliseconds(50))
        leader.cancel()
        await work.gate.open()
        let r = try await follower.value
        XCTAssertEqual(r.value, 5, "the follower gets the leader's value")
        XCTAssertTrue(r.shared)
        XCTAssertEqual(work.executions.load(ordering: .relaxed), 1)
    }

    private func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { return XCTFail("condition not reached in 10 s") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// A one-shot gate: `wait()` suspends until `open()`.
actor AsyncGate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}
