import CoreMetrics
import Synchronization
import XCTest

@testable import LabKit

/// An in-memory swift-metrics backend for the resilience tests: counters sum, gauges keep their last
/// value, looked up by label and dimensions. Each test makes its own, so tests never share state and
/// never touch the global `MetricsSystem`.
final class ResilienceTestMetrics: MetricsFactory, Sendable {
    private let values = Mutex<[String: Double]>([:])

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        let labels = dimensions.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        return "\(label){\(labels)}"
    }

    /// The current value of a series, or nil if it was never created.
    func value(_ label: String, _ dimensions: [String: String]) -> Double? {
        let key = Self.key(label, dimensions.map { ($0.key, $0.value) })
        return values.withLock { $0[key] }
    }

    /// The value of a series, 0 if it does not exist (for counters).
    func counter(_ label: String, _ dimensions: [String: String]) -> Int {
        Int(value(label, dimensions) ?? 0)
    }

    fileprivate func create(_ label: String, _ dimensions: [(String, String)]) -> Handler {
        let key = Self.key(label, dimensions)
        values.withLock { values in
            if values[key] == nil { values[key] = 0 }
        }
        return Handler(key: key, metrics: self)
    }

    fileprivate func update(_ key: String, _ change: (inout Double) -> Void) {
        values.withLock { change(&$0[key, default: 0]) }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { create(label, dimensions) }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        create(label, dimensions)
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { create(label, dimensions) }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        create(label, dimensions)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { create(label, dimensions) }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    fileprivate final class Handler: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler,
        Sendable
    {
        let key: String
        let metrics: ResilienceTestMetrics
        init(key: String, metrics: ResilienceTestMetrics) {
            self.key = key
            self.metrics = metrics
        }
        func increment(by amount: Int64) { metrics.update(key) { $0 += Double(amount) } }
        func increment(by amount: Double) { metrics.update(key) { $0 += amount } }
        func decrement(by amount: Double) { metrics.update(key) { $0 -= amount } }
        func set(_ value: Int64) { metrics.update(key) { $0 = Double(value) } }
        func set(_ value: Double) { metrics.update(key) { $0 = value } }
        func record(_ value: Int64) { metrics.update(key) { $0 = Double(value) } }
        func record(_ value: Double) { metrics.update(key) { $0 = value } }
        func recordNanoseconds(_ duration: Int64) { metrics.update(key) { $0 = Double(duration) } }
        func reset() { metrics.update(key) { $0 = 0 } }
    }
}

/// Polls `condition` every millisecond until it holds; fails the test (and throws) after 5 s of
/// real time. For waiting on another task to reach a state the code under test exposes.
func eventually(
    _ message: @autoclosure () -> String = "condition never held",
    file: StaticString = #filePath, line: UInt = #line,
    _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + .seconds(5)
    while !condition() {
        if ContinuousClock.now > deadline {
            XCTFail(message(), file: file, line: line)
            throw ResilienceTestError(code: -1)
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}

/// Waits until at least `count` tasks sleep on `clock` (the code under test reached its wait).
func awaitSleepers(_ clock: ManualClock, _ count: Int = 1, file: StaticString = #filePath, line: UInt = #line) async throws {
    try await eventually("expected \(count) sleeper(s), have \(clock.sleeperCount)", file: file, line: line) {
        clock.sleeperCount >= count
    }
}

struct ResilienceTestError: Error, Equatable {
    var code = 0
}

/// A shared, lock-protected value for tests whose tasks report back (e.g. the order things happened).
final class ResilienceBox<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value { storage.withLock { $0 } }
    func update<R>(_ change: (inout Value) -> R) -> R { storage.withLock { change(&$0) } }
}

/// The result of `task`, cancelling it (and failing the test) if it has not finished within 5 s of
/// real time, so that a broken pattern makes a test fail instead of hang.
func boundedResult<T: Sendable>(
    _ task: Task<T, any Error>, file: StaticString = #filePath, line: UInt = #line
) async -> Result<
    T, any Error
> {
    let watchdog = Task {
        try await Task.sleep(for: .seconds(5))
        task.cancel()
        return true
    }
    let result = await task.result
    watchdog.cancel()
    if (try? await watchdog.value) == true { XCTFail("the task did not finish within 5 s", file: file, line: line) }
    return result
}

/// The value of `task`, bounded like ``boundedResult(_:file:line:)``.
func boundedValue<T: Sendable>(_ task: Task<T, any Error>, file: StaticString = #filePath, line: UInt = #line) async throws -> T {
    try await boundedResult(task, file: file, line: line).get()
}
