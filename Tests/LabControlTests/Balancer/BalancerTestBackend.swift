// A real HTTP server (Hummingbird on a free loopback port) to stand behind the balancer in tests:
// it answers /readyz (200, or 503 while `ready` is false), /who (its name) and /sleep/{ms}.

import Hummingbird
import Logging
import NIOCore
import Synchronization
import XCTest

final class BalancerTestBackend: Sendable {
    let name: String
    let port: Int
    private let readiness: ReadyFlag
    private let task: Task<Void, any Error>

    var address: String { "127.0.0.1:\(port)" }
    var ready: Bool {
        get { readiness.value.withLock { $0 } }
        set { readiness.value.withLock { $0 = newValue } }
    }

    final class ReadyFlag: Sendable {
        let value = Mutex(true)
    }

    static func start(_ name: String) async throws -> BalancerTestBackend {
        let readiness = ReadyFlag()
        let router = Router()
        router.get("/readyz") { _, _ -> Response in
            Response(status: readiness.value.withLock { $0 } ? .ok : .serviceUnavailable)
        }
        router.get("/who") { _, _ in name }
        router.get("/sleep/:ms") { _, context -> String in
            try await Task.sleep(for: .milliseconds(try context.parameters.require("ms", as: Int.self)))
            return name
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "balancer-test-backend")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw XCTSkip("test backend did not start")
        }
        return BalancerTestBackend(name: name, port: port, readiness: readiness, task: task)
    }

    private init(name: String, port: Int, readiness: ReadyFlag, task: Task<Void, any Error>) {
        self.name = name
        self.port = port
        self.readiness = readiness
        self.task = task
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
