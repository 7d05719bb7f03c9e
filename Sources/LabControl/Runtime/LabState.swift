import Foundation

/// `.lab/state.json`: what a running lab started, so `labctl down` (or `logs`, `kill`, …) from
/// another process can find it, and so leftovers of a controller that died can be cleaned up.
public struct LabState: Codable, Sendable, Equatable {
    public struct Process: Codable, Sendable, Equatable {
        /// `redis`, `postgres`, `prometheus`, `frontend`, `backend-2`, …
        public var name: String
        public var kind: Kind
        public var pid: Int32
        public var pgid: Int32
        public var log: String

        public enum Kind: String, Codable, Sendable { case infrastructure, service }
    }

    public var lab: String
    public var variant: String
    /// The labctl (or test) process that started the lab and supervises it.
    public var controllerPid: Int32
    /// Its command line, to tell it apart from an unrelated process that reused the pid.
    public var controllerCommandLine: [String]
    public var labDirectory: String
    public var startedAt: Date
    public var processes: [Process]

    public static func file(in stateDirectory: URL) -> URL { stateDirectory.appendingPathComponent("state.json") }

    public static func read(from stateDirectory: URL) -> LabState? {
        guard let data = try? Data(contentsOf: file(in: stateDirectory)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(LabState.self, from: data)
    }

    public func write(to stateDirectory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        try encoder.encode(self).write(to: Self.file(in: stateDirectory), options: .atomic)
    }

    public static func remove(from stateDirectory: URL) {
        try? FileManager.default.removeItem(at: file(in: stateDirectory))
    }

    /// Whether the controller that wrote this state still runs (and is the same program).
    public var controllerIsAlive: Bool {
        guard let entry = ProcessTable.entry(controllerPid), entry.state != "Z" else { return false }
        return entry.commandLine == controllerCommandLine
    }

    /// Recorded processes that are still alive (not zombies).
    public var liveProcesses: [Process] {
        processes.filter { ProcessTable.entry($0.pid).map { $0.state != "Z" } ?? false }
    }
}

/// `.lab/endpoints.json`: where everything of the running lab answers (for people and tools).
public struct LabEndpoints: Codable, Sendable, Equatable {
    public var lab: String
    public var variant: String
    /// Role → base URLs of its replicas.
    public var services: [String: [String]]
    /// Instance name (`frontend`, `backend-2`) → base URL.
    public var instances: [String: String]
    /// Infrastructure name → URL (`redis://…`, `postgres://…`, `http://…` for Prometheus).
    public var infrastructure: [String: String]
    public var prometheus: String?
    /// The OTLP/HTTP endpoint services export to.
    public var otlp: String?
    /// Instance or infrastructure name → log file.
    public var logs: [String: String]
    /// The lab console `labctl up` serves (nil when nothing serves it).
    public var console: String? = nil

    public static func file(in stateDirectory: URL) -> URL { stateDirectory.appendingPathComponent("endpoints.json") }

    public func write(to stateDirectory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: Self.file(in: stateDirectory), options: .atomic)
    }

    public static func read(from stateDirectory: URL) -> LabEndpoints? {
        guard let data = try? Data(contentsOf: file(in: stateDirectory)) else { return nil }
        return try? JSONDecoder().decode(LabEndpoints.self, from: data)
    }
}
