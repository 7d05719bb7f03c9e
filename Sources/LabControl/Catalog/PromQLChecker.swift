import Foundation

/// Parses PromQL with Prometheus's own parser, `promtool`, when the catalog loads: a syntax error
/// in a measurement or panel is a manifest error (`file:line: field '…': PromQL does not parse: …`),
/// not a `—` at the end of a run.
///
/// Every expression of the catalog goes into one generated rule file (one recording rule each) and
/// one `promtool check rules` run, which reports every rule that does not parse (about 60 ms for the
/// whole catalog). Without promtool (Debian package `prometheus`) nothing is checked here; the
/// lab's Prometheus still rejects a bad query at run time.
public struct PromQLChecker: Sendable {
    public var promtool: URL?

    public init(promtool: URL?) { self.promtool = promtool }

    /// promtool from PATH (or the usual directories), if installed.
    public static var standard: PromQLChecker { PromQLChecker(promtool: ProgramLocator.standard.locate("promtool")) }

    /// The expressions that do not parse, as manifest errors in the order given.
    public func check(_ expressions: [PromQLExpression]) -> [ManifestError] {
        guard let promtool, !expressions.isEmpty else { return [] }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("labctl-promql-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("rules.json")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(Self.ruleFile(expressions).utf8).write(to: file)
        } catch {
            return [] // nowhere to write: leave the check to the lab's Prometheus
        }
        guard let output = Self.run(promtool, ["check", "rules", file.path]) else { return [] }
        return Self.failures(in: output, expressions)
    }

    /// The dashboards' and measurements' placeholders, replaced by a duration so the rest parses.
    /// `$window` becomes `60000ms`, seven characters like itself, so promtool's columns stay true.
    static func substitutingPlaceholders(_ expression: String) -> String {
        expression.replacingOccurrences(of: "$window", with: "60000ms")
            .replacingOccurrences(of: #"\$__(rate_interval|interval|range)"#, with: "1m", options: .regularExpression)
    }

    /// Rules `e0`, `e1`, … in one group, as JSON (which YAML, and so promtool, reads).
    static func ruleFile(_ expressions: [PromQLExpression]) -> String {
        let rules: [[String: String]] = expressions.enumerated().map { index, item in
            ["record": "e\(index)", "expr": substitutingPlaceholders(item.expression)]
        }
        let object: [String: Any] = ["groups": [["name": "catalog", "rules": rules]]]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// promtool names each failing rule: `… group "catalog", rule 2, "e1": could not parse expression: 1:16: parse error: …`.
    static func failures(in output: String, _ expressions: [PromQLExpression]) -> [ManifestError] {
        var failures: [Int: String] = [:]
        for line in output.split(separator: "\n") {
            guard let match = line.range(of: #""e[0-9]+": "#, options: .regularExpression) else { continue }
            let name = line[match].dropFirst(2).dropLast(3)
            guard let index = Int(name), expressions.indices.contains(index) else { continue }
            var message = String(line[match.upperBound...])
            if message.hasPrefix("could not parse expression: ") { message.removeFirst("could not parse expression: ".count) }
            failures[index] = message
        }
        return failures.keys.sorted().map { index in
            let item = expressions[index]
            return ManifestError(file: item.file, line: item.line, field: item.field, message: "PromQL does not parse: \(failures[index]!)")
        }
    }

    /// Runs promtool; its stdout and stderr, or nil if it could not run or was killed.
    static func run(_ executable: URL, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationReason == .exit else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
