import Foundation
import XCTest

/// Runs the built `labctl` as a child process with its own state directory, as a learner would.
enum LabctlRunner {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func labctl(_ arguments: [String], state: URL) throws -> Result {
        let binary = packageRoot.appendingPathComponent(".build/debug/labctl").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            XCTFail("labctl is not built at \(binary)")
            return Result(status: -1, stdout: "", stderr: "")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["LAB_STATE_DIR"] = state.path
        environment.removeValue(forKey: "OTEL_EXPORTER_OTLP_ENDPOINT")
        return try run(binary, arguments, environment: environment)
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        let err = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}

extension XCTestCase {
    /// A fresh directory removed when the test ends.
    func temporaryStateDirectory(_ prefix: String = "labctl") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(prefix)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
