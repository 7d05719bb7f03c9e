import Foundation
import XCTest

/// Runs the scripts in Tests/LabControlTests/Python with the project's interpreter (env LAB_PYTHON,
/// else <repo>/.venv/bin/python, which `make setup` creates). A missing interpreter or package is a
/// test FAILURE, never a skip: the independent check must not silently disappear.
enum TracePythonPeer {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent() // Traces
            .deletingLastPathComponent() // LabControlTests
            .deletingLastPathComponent() // Tests
            .deletingLastPathComponent()
    }

    static var interpreter: String {
        if let env = ProcessInfo.processInfo.environment["LAB_PYTHON"], !env.isEmpty { return env }
        return repositoryRoot.appendingPathComponent(".venv/bin/python").path
    }

    /// Runs `script` and returns its stdout; throws (with stderr) unless it exits 0.
    @discardableResult
    static func run(_ script: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let python = interpreter
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure(
                description:
                    "Python interpreter \(python) is missing: run `make setup` (creates .venv with the OpenTelemetry SDK) or set LAB_PYTHON"
            )
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [repositoryRoot.appendingPathComponent("Tests/LabControlTests/Python/\(script)").path] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        // Files, not pipes: a chatty child cannot block on a full pipe while we wait for it.
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("peer-\(UUID().uuidString).out")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("peer-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        if stderr.contains("ModuleNotFoundError") {
            throw Failure(description: "the Python peer lacks a package (run `make setup`): \(stderr)")
        }
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "\(script) \(arguments.joined(separator: " ")) exited \(process.terminationStatus):\n\(stderr)\n\(stdout)")
        }
        return stdout
    }

    /// Writes bytes to a fresh temporary file for a script to read.
    static func temporaryFile(_ bytes: [UInt8] = [], suffix: String = ".bin") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trace-peer-\(UUID().uuidString)\(suffix)")
        try Data(bytes).write(to: url)
        return url
    }
}
