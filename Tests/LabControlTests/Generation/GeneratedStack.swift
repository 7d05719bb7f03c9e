import Foundation
import XCTest

@testable import LabControl

/// A scratch copy of the repository's Docker-path files (root compose.yaml, .env, observability/,
/// prometheus/, grafana/provisioning, Dockerfile) plus a catalog's labs, with every generated file
/// written by `Generation.standard`: what `docker-compose config` and promtool check.
struct GeneratedStack {
    let root: URL
    let catalog: LabCatalog

    static var repositoryRoot: URL { Fixtures.repositoryRoot }

    /// `labs`: the directory to copy (default: the repository's own labs/, so new labs are covered).
    init(labs: URL = GeneratedStack.repositoryRoot.appendingPathComponent("labs"), label: String = #function) throws {
        let directory = try TestDirectory(label)
        root = directory.url
        let files = FileManager.default
        let repo = Self.repositoryRoot
        for path in ["compose.yaml", ".env", "Dockerfile", "observability", "prometheus", "grafana/provisioning"] {
            let destination = root.appendingPathComponent(path)
            try files.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try files.copyItem(at: repo.appendingPathComponent(path), to: destination)
        }
        try files.copyItem(at: labs, to: root.appendingPathComponent("labs"))
        let loaded = try LabCatalog.load(root: root.appendingPathComponent("labs"))
        // A lab someone is still writing may not parse yet; its own tests say so. Check the rest.
        for problem in loaded.problems { print("GeneratedStack: skipping an invalid manifest: \(problem)") }
        catalog = LabCatalog(root: loaded.root, labs: loaded.labs, problems: [])
        _ = try Generation.standard.run(catalog: catalog, repositoryRoot: root, check: false)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    /// Runs a program in the stack's root; returns its exit status and combined output.
    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = root
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The path of a program on PATH, or nil.
    static func which(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
