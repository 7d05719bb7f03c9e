import Synchronization

/// The dependencies a service needs before it should receive traffic (`/readyz`).
/// Each check throws (or times out) when its dependency is not usable.
public final class ReadinessChecks: Sendable {
    public typealias Check = @Sendable () async throws -> Void

    private let checks = Mutex<[(name: String, check: Check)]>([])
    let timeout: Duration

    public init(timeout: Duration = .seconds(2)) { self.timeout = timeout }

    public func add(_ name: String, _ check: @escaping Check) {
        checks.withLock { $0.append((name, check)) }
    }

    public var names: [String] { checks.withLock { $0.map(\.name) } }

    /// Runs every check concurrently; returns the failures by name (empty = ready).
    public func failures() async -> [String: String] {
        let all = checks.withLock { $0 }
        let timeout = self.timeout
        return await withTaskGroup(of: (String, String?).self) { group in
            for (name, check) in all {
                group.addTask {
                    do {
                        try await Self.within(timeout, check)
                        return (name, nil)
                    } catch {
                        return (name, "\(error)")
                    }
                }
            }
            var failed: [String: String] = [:]
            for await (name, problem) in group { if let problem { failed[name] = problem } }
            return failed
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        let after: Duration
        var description: String { "no answer within \(after)" }
    }

    private static func within(_ timeout: Duration, _ check: @escaping Check) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await check() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TimedOut(after: timeout)
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
