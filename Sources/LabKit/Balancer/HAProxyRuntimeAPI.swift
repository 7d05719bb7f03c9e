import NIOCore
import NIOPosix

/// A client of HAProxy's Runtime API: the "stats socket" at admin level, here on a loopback TCP
/// port. One command per connection, exactly what `echo "show stat" | socat tcp:127.0.0.1:P -` does.
///
/// What changes a running balancer without a reload: a server's weight (`set weight`), its state
/// (`ready`, `drain`: no new requests, in-flight ones finish; `maint`: out), and what it has served
/// (`show stat`: sessions, responses by status class, health). A canary controller reads the
/// per-server 5xx count from here and sets the canary's weight to 0 when it burns too much budget.
///
/// ```swift
/// let api = try HAProxyRuntimeAPI(address: "127.0.0.1:9999")
/// try await api.setWeight(backend: "app", server: "v2", weight: 5)
/// let v2 = try await api.serverStats().first { $0.server == "v2" }   // v2?.responses5xx
/// ```
public struct HAProxyRuntimeAPI: Sendable {
    public let host: String
    public let port: Int
    /// How long one command may take (connect, send, read the whole answer).
    public var timeout: Duration

    public init(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(5)) {
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    /// `host:port`, as services get it in `<NAME>_RUNTIME_API`.
    public init(address: String, timeout: Duration = .seconds(5)) throws {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (1...65535).contains(port), colon != address.startIndex
        else { throw HAProxyRuntimeError(command: "", answer: "'\(address)' is not host:port") }
        self.init(host: String(address[..<colon]), port: port, timeout: timeout)
    }

    /// The server's answer to one command, as text.
    public func execute(_ command: String) async throws -> String {
        let host = self.host
        let port = self.port
        do {
            return try await withTimeout(timeout) {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.seconds(2))
                    .connect(host: host, port: port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
                return try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: command + "\n"))
                    // The stats socket closes the connection once it has answered.
                    var answer = ByteBuffer()
                    for try await chunk in inbound {
                        var chunk = chunk
                        answer.writeBuffer(&chunk)
                        guard answer.readableBytes < 16 << 20 else { break }
                    }
                    return String(buffer: answer)
                }
            }
        } catch let error as DeadlineExceededError {
            throw HAProxyRuntimeError(command: command, answer: "no complete answer from \(host):\(port) within \(error.timeout)")
        } catch let error as HAProxyRuntimeError {
            throw error
        } catch {
            throw HAProxyRuntimeError(command: command, answer: "\(host):\(port): \(error)")
        }
    }

    /// A command that answers nothing when it succeeds (`set weight`, `set server`); any text is the error.
    public func executeQuietly(_ command: String) async throws {
        let answer = try await execute(command).trimmingCharacters(in: .whitespacesAndNewlines)
        guard answer.isEmpty else { throw HAProxyRuntimeError(command: command, answer: answer) }
    }

    /// Weight 0...256 (HAProxy's scale; 0 sends it nothing). Relative to the other servers' weights.
    public func setWeight(backend: String, server: String, weight: Int) async throws {
        try await executeQuietly("set weight \(backend)/\(server) \(min(256, max(0, weight)))")
    }

    /// The administrative state of a server.
    public enum ServerState: String, Sendable, CaseIterable {
        /// Takes traffic (as far as its health and weight allow).
        case ready
        /// Gets no new requests; those in flight finish. Health checks go on.
        case drain
        /// Out of the balancer: no traffic, no health checks.
        case maint
    }

    public func setState(backend: String, server: String, _ state: ServerState) async throws {
        try await executeQuietly("set server \(backend)/\(server) state \(state.rawValue)")
    }

    /// `show stat`: one row per server of every backend.
    public func serverStats() async throws -> [HAProxyServerStats] {
        HAProxyServerStats.parse(csv: try await execute("show stat"))
    }

    /// `show info`'s `Pid`: the worker process answering (it changes with a reload).
    public func workerPid() async throws -> Int {
        let info = try await execute("show info")
        for line in info.split(separator: "\n") where line.hasPrefix("Pid:") {
            if let pid = Int(line.dropFirst(4).trimmingCharacters(in: .whitespaces)) { return pid }
        }
        throw HAProxyRuntimeError(command: "show info", answer: "no Pid in: \(info.prefix(200))")
    }
}

/// One server's row of `show stat` (the fields labs use; HAProxy's CSV has about a hundred).
public struct HAProxyServerStats: Sendable, Equatable {
    public var backend: String
    public var server: String
    /// `UP`, `DOWN`, `DRAIN`, `MAINT`, `UP 1/2` (going down), `DOWN 1/2` (going up), `no check`…
    public var status: String
    /// The effective weight now (lower than configured while a slow start ramps it up).
    public var weight: Int
    /// Requests being served right now (`scur`).
    public var currentSessions: Int
    /// Requests waiting in this server's queue (`qcur`).
    public var queued: Int
    /// Requests sent to it so far (`stot`).
    public var totalSessions: Int
    public var responses2xx: Int
    public var responses4xx: Int
    public var responses5xx: Int
    /// Connections that could not be established (`econ`).
    public var connectionErrors: Int

    /// Taking traffic as far as health goes: `UP` (possibly going down), not `DOWN`, `MAINT`, `DRAIN`.
    public var isUp: Bool { status == "UP" || status.hasPrefix("UP ") }
    /// Passing its health checks, whatever its administrative state: `UP`, or `DRAIN` (up but
    /// taking no new requests), or `NOLB`.
    public var isHealthy: Bool { isUp || status.hasPrefix("DRAIN") || status.hasPrefix("NOLB") }

    /// Parses the CSV of `show stat` (header line `# pxname,svname,…`), keeping server rows.
    public static func parse(csv: String) -> [HAProxyServerStats] {
        var lines = csv.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard let header = lines.first, header.hasPrefix("# ") else { return [] }
        lines.removeFirst()
        let names = header.dropFirst(2).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return lines.compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            func text(_ name: String) -> String { index[name].flatMap { $0 < fields.count ? fields[$0] : nil } ?? "" }
            func number(_ name: String) -> Int { Int(text(name)) ?? 0 }
            let server = text("svname")
            guard text("type") == "2" || (!server.isEmpty && server != "FRONTEND" && server != "BACKEND" && index["type"] == nil) else {
                return nil
            }
            return HAProxyServerStats(
                backend: text("pxname"), server: server, status: text("status"), weight: number("weight"),
                currentSessions: number("scur"), queued: number("qcur"), totalSessions: number("stot"),
                responses2xx: number("hrsp_2xx"), responses4xx: number("hrsp_4xx"), responses5xx: number("hrsp_5xx"),
                connectionErrors: number("econ"))
        }
    }
}

/// HAProxy refused a command, or did not answer.
public struct HAProxyRuntimeError: Error, Sendable, CustomStringConvertible {
    public let command: String
    public let answer: String

    public init(command: String, answer: String) {
        self.command = command
        self.answer = answer
    }

    public var description: String {
        command.isEmpty ? "HAProxy runtime API: \(answer)" : "HAProxy runtime API '\(command)': \(answer)"
    }
}
