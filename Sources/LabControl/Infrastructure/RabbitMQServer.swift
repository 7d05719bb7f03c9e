import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A private RabbitMQ node on 127.0.0.1: its own `epmd`, its own ports (AMQP, Erlang distribution,
/// Prometheus), its own data directory, configuration and log under `directory`.
///
/// - **epmd.** An Erlang node registers with the port mapper daemon; left to itself it would start
///   (and leave running) a machine-wide epmd on port 4369. Each node gets its own epmd instead, on
///   a free port (`ERL_EPMD_PORT`), as a child that stops with it. Because every node sits in its
///   own epmd, every node can be called `lab@localhost`, which is what lets a prepared data
///   directory be copied (the node name is written into it).
/// - **Start.** Debian's `/usr/lib/rabbitmq/bin/rabbitmq-server` (not `/usr/sbin/rabbitmq-server`,
///   which insists on `su rabbitmq`) with the classic Erlang-term configuration file, which skips
///   the cuttlefish translation step. Plugins: only `rabbitmq_prometheus` (queue depth and rates at
///   `/metrics/per-object`). As root the node runs as Debian's `rabbitmq` account.
/// - **Data.** A node prepared once — booted, its database, feature flags, vhost and `lab` user
///   created, stopped cleanly — is copied (`RabbitMQNodeTemplate`) instead of initialising a new
///   database on every start.
/// - **Stop.** SIGTERM to the start script, which stops the node gracefully (the node closes
///   connections and flushes its queues, within 3 s: `-shutdown_time`), then epmd; anything left
///   in either process group is killed. Nothing outlives the lab: the script and epmd also get
///   SIGTERM if labctl dies.
public final class RabbitMQServer: Sendable {
    /// `lab@localhost` for every node (each has its own epmd); see the type's documentation.
    public static let nodeName = "lab@localhost"
    public static let user = "lab"
    public static let password = "lab"
    public static let plugins = ["rabbitmq_prometheus"]

    public let amqpPort: Int
    public let prometheusPort: Int
    public let distributionPort: Int
    public let epmdPort: Int
    public let directory: URL
    public let process: ChildProcess
    public let epmd: ChildProcess
    /// How long the start took, and whether the data directory was a copy of the prepared node.
    public let startup: Startup

    public struct Startup: Sendable {
        public var seconds: Double
        public var fromTemplate: Bool
    }

    /// amqp://lab:lab@127.0.0.1:P/ (vhost "/").
    public var url: String { "amqp://\(Self.user):\(Self.password)@127.0.0.1:\(amqpPort)/" }
    public var metricsURL: String { "http://127.0.0.1:\(prometheusPort)/metrics/per-object" }

    private init(ports: Ports, directory: URL, process: ChildProcess, epmd: ChildProcess, startup: Startup) {
        self.amqpPort = ports.amqp
        self.prometheusPort = ports.prometheus
        self.distributionPort = ports.distribution
        self.epmdPort = ports.epmd
        self.directory = directory
        self.process = process
        self.epmd = epmd
        self.startup = startup
    }

    struct Ports {
        var amqp: Int
        var distribution: Int
        var epmd: Int
        var prometheus: Int

        static func free() throws -> Ports {
            Ports(amqp: try FreePort.next(), distribution: try FreePort.next(), epmd: try FreePort.next(), prometheus: try FreePort.next())
        }
    }

    /// Starts a node, ready for AMQP clients. `template`: copy a prepared node's data directory
    /// (made on first use) instead of initialising a fresh one.
    public static func start(
        directory: URL, locator: ProgramLocator = .standard, timeout: Duration = .seconds(120),
        template: RabbitMQNodeTemplate? = nil
    ) async throws -> RabbitMQServer {
        let script = try locator.find("rabbitmq-server")
        let epmdProgram = try locator.find("epmd")
        let runAs = try serverUser()
        let began = ContinuousClock.now
        let files = FileManager.default
        if files.fileExists(atPath: directory.path) { try files.removeItem(at: directory) } // always a fresh node
        try files.createDirectory(at: directory, withIntermediateDirectories: true)
        var fromTemplate = false
        if let template {
            fromTemplate = try await template.copy(to: mnesiaBase(directory), locator: locator)
        }
        if let runAs {
            try ServerAccount.makeTraversable(directory)
        }
        var attempt = 1
        while true {
            let ports = try Ports.free()
            try writeConfiguration(in: directory, ports: ports)
            if let runAs { try ServerAccount.chownRecursively(directory, to: runAs) }
            do {
                let (node, epmd) = try await launch(
                    script: script, epmd: epmdProgram, directory: directory, ports: ports, runAs: runAs, timeout: timeout)
                let startup = Startup(seconds: (ContinuousClock.now - began).seconds, fromTemplate: fromTemplate)
                return RabbitMQServer(ports: ports, directory: directory, process: node, epmd: epmd, startup: startup)
            } catch let error as ServerStartError where error.isAddressInUse && attempt < 4 {
                attempt += 1 // another process took one of the ports meanwhile: try others
            }
        }
    }

    /// Graceful stop (the node closes its connections and listeners), then epmd.
    public func stop() async {
        await process.stop(signal: SIGTERM, grace: .seconds(30))
        await epmd.stop(signal: SIGTERM, grace: .seconds(5))
    }

    // MARK: - steps

    private static func launch(
        script: URL, epmd epmdProgram: URL, directory: URL, ports: Ports, runAs: SystemUser?, timeout: Duration
    ) async throws -> (ChildProcess, ChildProcess) {
        let environment = nodeEnvironment(directory: directory, ports: ports)
        let epmd = try ChildProcess.spawn(
            name: "epmd", executable: epmdProgram, arguments: ["-port", "\(ports.epmd)", "-address", "127.0.0.1"],
            environment: environment, directory: directory, logFile: directory.appendingPathComponent("epmd.log"),
            user: runAs, deathSignal: SIGTERM)
        do {
            try await Readiness.wait(for: epmd, what: "epmd on port \(ports.epmd)", timeout: .seconds(20), interval: .milliseconds(20)) {
                FreePort.isListening(ports.epmd)
            }
        } catch {
            await epmd.stop(signal: SIGKILL, grace: .seconds(1))
            throw addressInUseAware(error)
        }
        let node: ChildProcess
        do {
            // SIGTERM if labctl dies: the script traps it and stops the node gracefully.
            node = try ChildProcess.spawn(
                name: "rabbitmq-server", executable: script, arguments: [], environment: environment, directory: directory,
                logFile: directory.appendingPathComponent("rabbitmq.log"), user: runAs, deathSignal: SIGTERM)
        } catch {
            await epmd.stop(signal: SIGTERM, grace: .seconds(2))
            throw error
        }
        do {
            try await Readiness.wait(
                for: node, what: "rabbitmq-server on port \(ports.amqp)", timeout: timeout, interval: .milliseconds(100)
            ) {
                acceptsAMQP(port: ports.amqp)
            }
        } catch {
            await node.stop(signal: SIGKILL, grace: .seconds(2))
            await epmd.stop(signal: SIGTERM, grace: .seconds(2))
            throw addressInUseAware(error)
        }
        return (node, epmd)
    }

    /// The broker answers the AMQP 0-9-1 protocol header with connection.start (a method frame,
    /// type 1, offering the PLAIN mechanism): its listeners open only once the node has booted.
    static func acceptsAMQP(port: Int) -> Bool {
        let header: [UInt8] = Array("AMQP".utf8) + [0, 0, 9, 1]
        guard let reply = Probe.exchange(port: port, request: header, until: "PLAIN", timeout: .seconds(2)) else { return false }
        return reply.unicodeScalars.first == "\u{01}" && reply.contains("PLAIN")
    }

    /// RabbitMQ reports a taken port in its own words (`eaddrinuse`, `dist_port_already_used`);
    /// the starters retry on other ports when the log says "address already in use".
    private static func addressInUseAware(_ error: Error) -> Error {
        guard let start = error as? ServerStartError, !start.isAddressInUse else { return error }
        let log = start.logTail.lowercased()
        guard ["eaddrinuse", "dist_port_already_used", "could not bind to distribution port"].contains(where: log.contains) else {
            return error
        }
        return ServerStartError(server: start.server, reason: start.reason, logTail: start.logTail + "\n    (address already in use)")
    }

    static func mnesiaBase(_ directory: URL) -> URL { directory.appendingPathComponent("mnesia", isDirectory: true) }

    /// Everything the node reads from its environment: rabbit_env takes `RABBITMQ_*` variables
    /// first, so nothing under /etc/rabbitmq or /var/lib/rabbitmq is used.
    static func nodeEnvironment(directory: URL, ports: Ports) -> [String: String] {
        var environment = ChildProcess.minimalEnvironment(home: directory.appendingPathComponent("home").path)
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        environment.merge([
            "RABBITMQ_NODENAME": nodeName,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": "\(ports.amqp)",
            "RABBITMQ_DIST_PORT": "\(ports.distribution)",
            "ERL_EPMD_PORT": "\(ports.epmd)",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_CONF_ENV_FILE": path("rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": path("rabbitmq.config"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": path("advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": path("enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": mnesiaBase(directory).path,
            "RABBITMQ_LOG_BASE": path("log"),
            "RABBITMQ_LOGS": "-",
            "RABBITMQ_PID_FILE": path("rabbitmq.pid"),
            "RABBITMQ_DEFAULT_USER": user,
            "RABBITMQ_DEFAULT_PASS": password,
            // The Erlang distribution listens on loopback only. A graceful stop closes listeners,
            // connections and message stores within a fraction of a second; then the management
            // agent (which the Prometheus plugin needs) waits out a 5 s timeout on a node that is
            // going away. -shutdown_time ends the stop after 3 s instead. +sbwt none (and its dirty
            // scheduler twins): idle schedulers sleep instead of spinning, which on a shared machine
            // takes CPU from the lab's own services and from a second node booting beside this one.
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS":
                "-kernel inet_dist_use_interface {127,0,0,1} -shutdown_time 3000 +sbwt none +sbwtdcpu none +sbwtdio none",
        ]) { _, ours in ours }
        return environment
    }

    /// rabbitmq.config (Erlang terms), enabled_plugins, an empty rabbitmq-env.conf, the home directory.
    static func writeConfiguration(in directory: URL, ports: Ports) throws {
        let files = FileManager.default
        try files.createDirectory(at: directory.appendingPathComponent("home"), withIntermediateDirectories: true)
        try files.createDirectory(at: directory.appendingPathComponent("log"), withIntermediateDirectories: true)
        try files.createDirectory(at: mnesiaBase(directory), withIntermediateDirectories: true)
        try "".write(to: directory.appendingPathComponent("rabbitmq-env.conf"), atomically: true, encoding: .utf8)
        try "[\(plugins.joined(separator: ","))].\n".write(
            to: directory.appendingPathComponent("enabled_plugins"), atomically: true, encoding: .utf8)
        try configuration(ports: ports).write(to: directory.appendingPathComponent("rabbitmq.config"), atomically: true, encoding: .utf8)
    }

    static func configuration(ports: Ports) -> String {
        """
        %% Generated by labctl for one lab node; see RabbitMQServer.swift.
        [
         {rabbit, [
           {tcp_listeners, [{"127.0.0.1", \(ports.amqp)}]},
           %% Queue depth and rates reach /metrics every second (the default is every 5 s).
           {collect_statistics_interval, 1000},
           {log, [{console, [{enabled, true}, {level, info}]}, {file, [{file, false}]}]}
         ]},
         %% A lab broker holds nothing worth a disk flush (like PostgreSQL's fsync=off here).
         {ra, [{wal_sync_method, none}]},
         {rabbitmq_prometheus, [{tcp_config, [{ip, "127.0.0.1"}, {port, \(ports.prometheus)}]}]}
        ].

        """
    }

    /// The account the node runs as: nil (ourselves) unless we are root.
    static func serverUser() throws -> SystemUser? {
        try ServerAccount.forRoot("rabbitmq", server: "rabbitmq-server", package: "rabbitmq-server")
    }
}
