import Foundation

/// How `LabRuntime.up` runs a lab.
public struct RuntimeOptions: Sendable {
    /// Where state, logs, data and traces go (`.lab`).
    public var stateDirectory: URL
    public var variant: String
    /// The `labsvc` executable; nil: $LAB_LABSVC, else next to the running executable, else
    /// .build/debug or .build/release under the current directory.
    public var labsvc: URL?
    public var otlp: OTLPMode
    /// How long each service (all replicas) may take to answer /readyz.
    public var readyTimeout: Duration
    /// Start Prometheus (needed for dashboards and PromQL measurements).
    public var prometheus: Bool
    public var scrapeInterval: String
    public var locator: ProgramLocator
    /// Progress lines ("starting redis…").
    public var log: @Sendable (String) -> Void
    /// Receives how long each step of the start took.
    public var timings: StartupTimings
    /// Where reusable artefacts go (a PostgreSQL cluster template): $LAB_CACHE_DIR, else
    /// `<state>/cache`; nil: nothing is cached.
    public var cacheDirectory: URL?
    /// The store behind an `.external` endpoint when this process owns it (the lab console's receiver):
    /// a comparison then reads its traces there instead of having none.
    public var externalTraceStore: TraceStore? = nil

    public enum OTLPMode: Sendable, Equatable {
        /// Start the embedded receiver on this port (a free one if it is taken; 0: any free port).
        case embedded(port: Int)
        /// Services export to this endpoint; no receiver is started.
        case external(String)
        /// No tracing export.
        case none
    }

    public init(
        stateDirectory: URL, variant: String = "before", labsvc: URL? = nil,
        otlp: OTLPMode = .embedded(port: 4318), readyTimeout: Duration = .seconds(90), prometheus: Bool = true,
        scrapeInterval: String = "1s", locator: ProgramLocator = .standard, log: @escaping @Sendable (String) -> Void = { _ in },
        timings: StartupTimings = StartupTimings(), cacheDirectory: URL? = nil
    ) {
        self.stateDirectory = stateDirectory
        self.variant = variant
        self.labsvc = labsvc
        self.otlp = otlp
        self.readyTimeout = readyTimeout
        self.prometheus = prometheus
        self.scrapeInterval = scrapeInterval
        self.locator = locator
        self.log = log
        self.timings = timings
        self.cacheDirectory = cacheDirectory ?? Self.defaultCacheDirectory(stateDirectory: stateDirectory)
    }

    /// $LAB_CACHE_DIR, else `<state>/cache`.
    public static func defaultCacheDirectory(
        stateDirectory: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> URL {
        if let override = environment["LAB_CACHE_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true).standardizedFileURL
        }
        return stateDirectory.appendingPathComponent("cache", isDirectory: true)
    }

    /// `.lab` next to the labs directory (the repository root), or $LAB_STATE_DIR.
    public static func defaultStateDirectory(labsRoot: URL, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let override = environment["LAB_STATE_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true).standardizedFileURL
        }
        return labsRoot.deletingLastPathComponent().appendingPathComponent(".lab", isDirectory: true)
    }

    /// Finds `labsvc`.
    public func resolveLabsvc() throws -> URL {
        if let labsvc { return labsvc }
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["LAB_LABSVC"], !path.isEmpty { return URL(fileURLWithPath: path) }
        var candidates: [URL] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent("labsvc"))
        // A test bundle lives in .build/debug/<x>.xctest/…; labsvc is in .build/debug.
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            directory = directory.deletingLastPathComponent()
            candidates.append(directory.appendingPathComponent("labsvc"))
        }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        candidates += [".build/debug/labsvc", ".build/release/labsvc"].map { cwd.appendingPathComponent($0) }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) { return found }
        throw RuntimeError(
            "labsvc not found (looked next to \(executable.path) and in .build): build it with `swift build --product labsvc` or set LAB_LABSVC"
        )
    }
}

/// A runtime failure with a message for people.
public struct RuntimeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
