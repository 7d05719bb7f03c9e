import ArgumentParser
import Foundation
import LabControl

/// `labctl logs <service> [-f]`: a service's (or redis/postgres/prometheus's) log.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show a service's log.")
    @Argument(help: "The service, e.g. gateway or backend-2, or redis, postgres, prometheus.") var service: String
    @Flag(name: .shortAndLong, help: "Keep printing as the log grows.") var follow = false
    @OptionGroup var locations: LabLocations

    func run() async throws {
        let files = try logFiles()
        var offsets: [URL: UInt64] = [:]
        let prefix = files.count > 1
        for file in files { offsets[file] = print(file, from: 0, prefix: prefix) }
        guard follow else { return }
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(250))
            for file in files { offsets[file] = print(file, from: offsets[file] ?? 0, prefix: prefix) }
        }
    }

    /// The log files the name refers to: the running lab's first, else the latest lab's on disk.
    func logFiles() throws -> [URL] {
        let state = locations.stateDirectory
        var logs: [String: String] = [:]
        if let running = LabState.read(from: state) {
            for process in running.processes { logs[process.name] = process.log }
        } else if let endpoints = LabEndpoints.read(from: state) {
            logs = endpoints.logs
        } else {
            // No lab is running: the newest logs directory under .lab/<lab>/logs.
            let labs =
                (try? FileManager.default.contentsOfDirectory(at: state, includingPropertiesForKeys: [.contentModificationDateKey])) ?? []
            let newest = labs.map { $0.appendingPathComponent("logs") }
                .filter { FileManager.default.fileExists(atPath: $0.path) }
                .max { modified($0) < modified($1) }
            for file in (newest.flatMap { try? FileManager.default.contentsOfDirectory(at: $0, includingPropertiesForKeys: nil) } ?? [])
            where file.pathExtension == "log" {
                logs[file.deletingPathExtension().lastPathComponent] = file.path
            }
        }
        if let exact = logs[service] { return [URL(fileURLWithPath: exact)] }
        let replicas = logs.keys.filter { name in
            name.hasPrefix(service + "-") && Int(name.dropFirst(service.count + 1)) != nil
        }.sorted()
        guard !replicas.isEmpty else {
            throw Failure(
                "no log for '\(service)'"
                    + (logs.isEmpty ? " (no lab has run here yet)" : " (logs: \(logs.keys.sorted().joined(separator: ", ")))"))
        }
        return replicas.map { URL(fileURLWithPath: logs[$0]!) }
    }

    private func modified(_ url: URL) -> Date {
        (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
    }

    /// Prints the file from `offset`; returns the new offset.
    private func print(_ file: URL, from offset: UInt64, prefix: Bool) -> UInt64 {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return offset }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size < offset ? 0 : offset // truncated (restarted lab): start over
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        guard !data.isEmpty else { return start }
        if prefix {
            let name = file.deletingPathExtension().lastPathComponent
            let text = String(decoding: data, as: UTF8.self)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let body = (text.hasSuffix("\n") ? lines.dropLast() : lines[...]).map { "\(name) | \($0)" }.joined(separator: "\n")
            FileHandle.standardOutput.write(Data((body + "\n").utf8))
        } else {
            FileHandle.standardOutput.write(data)
        }
        return start + UInt64(data.count)
    }
}
