import CoreMetrics
import Foundation
import LabControl
import Tracing
import XCTest

@testable import LabKit

#if canImport(Glibc)
import Glibc
#endif

/// A scratch directory under the system temp dir, removed by the caller.
func makeScratchDirectory(_ prefix: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Base class for tests that talk to a real `redis-server` (started fresh for every test on a free
/// 127.0.0.1 port by LabControl's `RedisServer`).
class RedisServerTestCase: XCTestCase {
    var redisServer: RedisServer!
    var scratch: URL!
    private var clients: [RedisClient] = []

    override func setUp() async throws {
        scratch = try makeScratchDirectory("redis-test")
        redisServer = try await RedisServer.start(directory: scratch)
    }

    override func tearDown() async throws {
        for client in clients { await client.shutdown() }
        clients = []
        await redisServer?.stop()
        try? FileManager.default.removeItem(at: scratch)
    }

    /// A client for this test's server, shut down in tearDown.
    func makeClient(
        database: Int = 0, poolSize: Int = 4, commandTimeout: Duration = .seconds(5),
        tracer: (any Tracer)? = nil, metricsFactory: (any MetricsFactory)? = nil
    ) throws -> RedisClient {
        let client = try RedisClient(
            url: "\(redisServer.url)/\(database)", poolSize: poolSize, connectTimeout: .seconds(2),
            commandTimeout: commandTimeout, tracer: tracer, metricsFactory: metricsFactory)
        clients.append(client)
        return client
    }

    /// Starts a `redis-server` on a given port (to restart one where the old one was).
    func startRedis(port: Int, directory: URL) async throws -> ChildProcess {
        let executable = try ProgramLocator.standard.find("redis-server")
        let process = try ChildProcess.spawn(
            name: "redis-server", executable: executable,
            arguments: ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            environment: ChildProcess.minimalEnvironment(), directory: directory,
            logFile: directory.appendingPathComponent("redis-restarted.log"))
        try await Readiness.wait(for: process, what: "redis-server on \(port)", timeout: .seconds(20)) {
            FreePort.isListening(port)
        }
        return process
    }
}

/// Asserts that `body` throws a `RedisError` and hands it to `check`.
func assertThrowsRedisError<T>(
    _ body: @autoclosure () async throws -> T, file: StaticString = #filePath, line: UInt = #line,
    _ check: (RedisError) -> Void = { _ in }
) async {
    do {
        let value = try await body()
        XCTFail("expected a RedisError, got \(value)", file: file, line: line)
    } catch let error as RedisError {
        check(error)
    } catch {
        XCTFail("expected a RedisError, got \(type(of: error)): \(error)", file: file, line: line)
    }
}
