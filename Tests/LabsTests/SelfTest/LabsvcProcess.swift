import AsyncHTTPClient
import Foundation
import LabKit
import NIOCore
import NIOHTTP1
import XCTest

/// The built `labsvc` binary, run as a real process.
/// Unchecked: `Process` is not annotated Sendable; we only read it or signal it from the test.
struct LabsvcProcess: @unchecked Sendable {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var binary: String { packageRoot.appendingPathComponent(".build/debug/labsvc").path }

    let process: Process
    let port: Int
    let stderr: Pipe
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Runs `labsvc <args>` to completion (with `environment` added to the test's): exit status, stdout, stderr.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        try requireBinary()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    /// Starts `labsvc <lab> <role>` on `port` and waits until `/healthz` answers.
    static func start(_ lab: String, _ role: String, port: Int, environment: [String: String] = [:]) async throws -> LabsvcProcess {
        try requireBinary()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [lab, role]
        var env = ProcessInfo.processInfo.environment
        env["PORT"] = "\(port)"
        env["OTEL_TRACES_EXPORTER"] = "none"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let started = LabsvcProcess(process: process, port: port, stderr: err)
        for _ in 0..<200 {
            if (try? await started.get("/healthz", timeout: 1))?.status == 200 { return started }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw NSError(domain: "labsvc", code: 1, userInfo: [NSLocalizedDescriptionKey: "labsvc \(lab) \(role) did not come up"])
    }

    static func requireBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("labsvc is not built at \(binary): run `swift build` first")
        }
    }

    func get(_ path: String, timeout: TimeInterval = 10) async throws -> (status: Int, body: String) {
        try await send("GET", path, timeout: timeout)
    }

    func send(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: String? = nil, timeout: TimeInterval = 10
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await LabHTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (Int(response.status.code), String(buffer: bytes))
    }

    func json(_ path: String) async throws -> [String: Any] {
        let (_, body) = try await get(path)
        return (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    func sigterm() { kill(process.processIdentifier, SIGTERM) }

    /// Waits for the process to end (killing it after `timeout`).
    func waitForExit(timeout: TimeInterval = 15) async -> (reason: Process.TerminationReason, status: Int32) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            process.interrupt()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return (process.terminationReason, process.terminationStatus)
    }

    func stop() async {
        if process.isRunning { sigterm() }
        _ = await waitForExit()
    }
}
