import Foundation

/// One lab's outcome in `labctl verify`.
public struct VerificationResult: Sendable {
    public enum Verdict: String, Sendable {
        /// Every expectation held.
        case holds = "PASS"
        /// The comparison ran and at least one expectation (or a platform check) failed.
        case fails = "FAIL"
        /// The comparison could not run to the end (a service did not start, labctl crashed).
        case broken = "ERROR"
        /// It ran past its time limit and was stopped.
        case timedOut = "TIMEOUT"
    }

    public let name: String
    public let week: Int
    public let verdict: Verdict
    public let wallSeconds: Double
    /// The expectations that did not hold, with their values, or what went wrong.
    public let failures: [String]
    /// Seconds per step, summed over the variants (start, first scrape, scenario, settle, …).
    public let timings: [(step: String, seconds: Double)]
    /// The comparison's log (stdout and stderr) and its JSON results.
    public let log: URL
    public let results: URL

    public var holds: Bool { verdict == .holds }

    /// The same lab, failed for these reasons instead (a variant that did not run to its end).
    func failing(_ reasons: [String], verdict: Verdict) -> VerificationResult {
        VerificationResult(
            name: name, week: week, verdict: verdict, wallSeconds: wallSeconds, failures: reasons,
            timings: timings, log: log, results: results)
    }

    /// Reads what one `labctl compare --json-file` child left behind.
    static func read(
        job: VerificationPlan.Job, status: ChildProcess.ExitStatus?, wallSeconds: Double, log: URL, results: URL
    )
        -> VerificationResult
    {
        let object = (try? Data(contentsOf: results)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        var failures: [String] = []
        var timings: [String: Double] = [:]
        var order: [String] = []
        if let object {
            for expectation in object["expectations"] as? [[String: Any]] ?? []
            where expectation["holds"] as? Bool != true && expectation["skipped"] as? Bool != true {
                failures.append("\(expectation["measurement"] ?? ""): \(expectation["check"] ?? "") — \(expectation["explanation"] ?? "")")
            }
            for run in object["runs"] as? [[String: Any]] ?? [] {
                for timing in run["timings"] as? [[String: Any]] ?? [] {
                    guard let step = timing["step"] as? String, let seconds = timing["seconds"] as? Double else { continue }
                    if timings[step] == nil { order.append(step) }
                    timings[step, default: 0] += seconds
                }
            }
        }
        let verdict: Verdict
        switch (status, object?["holds"] as? Bool) {
        case (nil, _): verdict = .timedOut
        case (_, true?) where status == .exited(0): verdict = .holds
        case (_, false?): verdict = .fails
        default: verdict = .broken
        }
        if verdict == .broken || verdict == .timedOut {
            let what = status.map { "labctl compare \($0)" } ?? "stopped after its time limit"
            failures.append("\(what); last lines of \(log.path):\n\(LogTail.lastLines(of: log, count: 15))")
        }
        return VerificationResult(
            name: job.name, week: job.entry.manifest.week, verdict: verdict, wallSeconds: wallSeconds, failures: failures,
            timings: order.map { ($0, timings[$0]!) }, log: log, results: results)
    }

    public func json() -> [String: Any] {
        [
            "lab": name, "week": week, "verdict": verdict.rawValue, "holds": holds,
            "wall_seconds": (wallSeconds * 10).rounded() / 10, "failures": failures,
            "timings": timings.map { ["step": $0.step, "seconds": ($0.seconds * 10).rounded() / 10] as [String: Any] },
            "log": log.path, "results": results.path,
        ]
    }
}
