import Foundation

/// A real `redis-server` on 127.0.0.1 (no persistence), its files in `directory`.
public final class RedisServer: Sendable {
    public let port: Int
    public let directory: URL
    public let process: ChildProcess
    public var url: String { "redis://127.0.0.1:\(port)" }

    private init(port: Int, directory: URL, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    public static func start(
        directory: URL, locator: ProgramLocator = .standard, timeout: Duration = .seconds(20)
    ) async throws -> RedisServer {
        let executable = try locator.find("redis-server")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try await withFreePortRetry { port in
            let process = try ChildProcess.spawn(
                name: "redis-server", executable: executable,
                arguments: [
                    "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory.path,
                    "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "",
                ],
                environment: ChildProcess.minimalEnvironment(), directory: directory,
                logFile: directory.appendingPathComponent("redis.log"))
            do {
                try await Readiness.wait(for: process, what: "redis-server on port \(port)", timeout: timeout) {
                    Probe.exchange(port: port, request: Array("PING\r\n".utf8), until: "\r\n")?.hasPrefix("+PONG") == true
                }
            } catch {
                await process.stop(signal: SIGKILL, grace: .seconds(2))
                throw error
            }
            return RedisServer(port: port, directory: directory, process: process)
        }
    }

    public func stop() async {
        await process.stop(signal: SIGTERM, grace: .seconds(10))
    }
}
