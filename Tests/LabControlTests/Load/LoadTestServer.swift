// A small real HTTP server (Hummingbird on a free loopback port) for the load generator tests.
// It records every request it receives, so tests assert on what actually arrived on the wire.

import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Synchronization
import XCTest

/// One request as the server saw it.
struct Arrival: Sendable {
    var at: ContinuousClock.Instant
    var path: String
    var headers: [String: String]
}

/// Holds every request arriving during a window, `after` past the first request, until the window
/// ends — a whole-server stall, like a stop-the-world pause.
final class StallGate: Sendable {
    let after: Duration
    let length: Duration
    private let first = Mutex<ContinuousClock.Instant?>(nil)

    init(after: Duration, length: Duration) {
        self.after = after
        self.length = length
    }

    /// The instant a request arriving now may proceed, if it must wait.
    func release(for now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let first = first.withLock { first in
            if first == nil { first = now }
            return first!
        }
        let stallStart = first + after
        let stallEnd = stallStart + length
        return now >= stallStart && now < stallEnd ? stallEnd : nil
    }

    /// The stall window, once the first request has arrived.
    var window: Range<ContinuousClock.Instant>? {
        first.withLock { $0.map { ($0 + after)..<($0 + after + length) } }
    }
}

/// Every request the server received, in arrival order.
final class ArrivalLog: Sendable {
    private let entries = Mutex<[Arrival]>([])
    func append(_ arrival: Arrival) { entries.withLock { $0.append(arrival) } }
    var all: [Arrival] { entries.withLock { $0 } }
}

final class LoadTestServer: Sendable {
    let port: Int
    private let arrivalsLog: ArrivalLog
    private let task: Task<Void, any Error>

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var arrivals: [Arrival] { arrivalsLog.all }

    /// Routes:
    /// - `/fast`, `/a`, `/b`: 200 at once
    /// - `/items/{id}`: 200, echoes nothing (the arrival log keeps the path)
    /// - `/status/{code}`: answers with that status
    /// - `/sleep/{ms}`: answers 200 after that many milliseconds
    /// - `/gated`: 200, but held while `gate` stalls
    static func start(gate: StallGate? = nil) async throws -> LoadTestServer {
        let log = ArrivalLog()
        let router = Router()
        router.middlewares.add(ArrivalLogger(log: log))
        router.get("/fast") { _, _ in "ok" }
        router.get("/a") { _, _ in "a" }
        router.get("/b") { _, _ in "b" }
        router.get("/items/:id") { _, _ in "item" }
        router.post("/items/:id") { _, _ in "created" }
        router.get("/status/:code") { _, context -> Response in
            let code = try context.parameters.require("code", as: Int.self)
            return Response(status: .init(code: code))
        }
        router.get("/sleep/:ms") { _, context -> String in
            let ms = try context.parameters.require("ms", as: Int.self)
            try await Task.sleep(for: .milliseconds(ms))
            return "slept"
        }
        router.get("/gated") { _, _ -> String in
            if let gate, let until = gate.release(for: .now) {
                try await Task.sleep(until: until, clock: .continuous)
            }
            return "ok"
        }

        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: quietLogger
        )
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw XCTSkip("test server did not start")
        }
        return LoadTestServer(port: port, log: log, task: task)
    }

    private init(port: Int, log: ArrivalLog, task: Task<Void, any Error>) {
        self.port = port
        self.arrivalsLog = log
        self.task = task
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// Stopping the server by cancellation makes Hummingbird log errors that are expected here.
private let quietLogger: Logger = {
    var logger = Logger(label: "load-test-server")
    logger.logLevel = .critical
    return logger
}()

private struct ArrivalLogger: RouterMiddleware {
    typealias Context = BasicRequestContext
    let log: ArrivalLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let arrival = Arrival(at: .now, path: request.uri.path, headers: headers)
        log.append(arrival)
        return try await next(request, context)
    }
}

extension LoadTestServer {
    /// A loopback port with nothing listening: bound by the OS, then released.
    static func unusedPort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress!.port!
        try channel.close().wait()
        return port
    }
}
