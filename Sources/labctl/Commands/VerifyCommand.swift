import ArgumentParser
import Foundation
import LabControl
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `labctl verify`: the one command that proves labs hold — what CI runs, what a lab author runs.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run each lab's comparison at its test scale, several at a time; exit 0 only if every lab holds.",
        discussion: """
            Each lab runs `labctl compare` at the scale its lab.yaml's `test:` section gives (--full: at \
            full length), in its own state directory, port range, infrastructure and Prometheus. Logs and \
            results stay in <state>/verify/<lab>/.
            """)

    @Argument(help: "Labs to verify (week number, weekNN, slug or directory); none with --all.") var labs: [String] = []
    @Flag(help: "Verify every lab in the catalog.") var all = false
    @Option(help: "How many labs run at the same time (default \(Self.defaultJobs), measured on a 2-core machine).") var jobs: Int = Self
        .defaultJobs
    @Flag(help: "Run every variant at full length instead of the test scale.") var full = false
    @Flag(help: "Print the results as JSON on stdout.") var json = false
    @OptionGroup var locations: LabLocations

    /// Chosen by measurement: see labs/README.md ("Verifying labs").
    static let defaultJobs = 2

    func validate() throws {
        guard all || !labs.isEmpty else { throw ValidationError("name the labs to verify, or pass --all") }
        guard !(all && !labs.isEmpty) else { throw ValidationError("--all verifies every lab: name no lab with it") }
        guard (1...16).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 16") }
    }

    func run() async throws {
        let catalog = try locations.catalog()
        if all, let problem = catalog.problems.first { throw Failure("\(problem)") }
        let entries = all ? catalog.labs : try labs.map { try catalog.resolve($0) }
        let plan = VerificationPlan(entries: entries, full: full)
        let root = locations.stateDirectory.appendingPathComponent("verify", isDirectory: true)
        let labctl = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let progress = VerifyProgress(plan: plan, jobs: jobs, live: isatty(STDERR_FILENO) == 1)
        let verification = LabVerification(
            plan: plan, jobs: jobs, labctl: labctl, root: root, labsDirectory: catalog.root,
            events: { progress.handle($0) })
        progress.begin()
        let results = await verification.run()
        progress.end()
        let wall = progress.elapsed
        if json {
            let object: [String: Any] = [
                "holds": results.allSatisfy(\.holds), "jobs": jobs, "full": full,
                "wall_seconds": (wall * 10).rounded() / 10, "labs": results.map { $0.json() },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            print(Self.report(results, wall: wall, jobs: jobs))
        }
        if !results.allSatisfy(\.holds) { throw ExitCode.failure }
    }

    /// The final table, then what failed and why.
    static func report(_ results: [VerificationResult], wall: Double, jobs: Int) -> String {
        let ordered = results.sorted { ($0.week, $0.name) < ($1.week, $1.name) }
        var rows = ordered.map { result -> [String] in
            let scenario = result.timings.first { $0.step == "scenario" }?.seconds ?? 0
            return [
                result.name, result.verdict.rawValue, String(format: "%.1f s", result.wallSeconds),
                String(format: "%.1f s", scenario), result.failures.isEmpty ? "" : "\(result.failures.count) failed",
            ]
        }
        let busy = results.reduce(0) { $0 + $1.wallSeconds }
        rows.append(["total", "\(results.filter(\.holds).count)/\(results.count) hold", String(format: "%.1f s", busy), "", ""])
        var out = table(["LAB", "VERDICT", "WALL", "SCENARIOS", ""], rows) + "\n"
        out += String(format: "\n%d labs in %.0f s wall with --jobs %d (%.0f s of lab time)\n", results.count, wall, jobs, busy)
        for result in ordered where !result.holds {
            out += "\n\(result.name) \(result.verdict.rawValue) (log: \(result.log.path)):\n"
            out += result.failures.map { "  - " + $0 }.joined(separator: "\n") + "\n"
        }
        return out
    }
}

/// The progress of a verify run on stderr: on a terminal one line redrawn in place (done/total,
/// the labs running with their time so far, elapsed, time left); otherwise a line per lab event.
final class VerifyProgress: Sendable {
    let plan: VerificationPlan
    let jobs: Int
    let live: Bool
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let state = Mutex(State())
    private let ticker = Mutex<Task<Void, Never>?>(nil)

    struct State {
        var running: [String: ContinuousClock.Instant] = [:]
        var done = 0
        var failed = 0
        var remainingEstimate = 0.0
    }

    init(plan: VerificationPlan, jobs: Int, live: Bool) {
        self.plan = plan
        self.jobs = jobs
        self.live = live
        self.start = ContinuousClock().now
        state.withLock { $0.remainingEstimate = plan.jobs.reduce(0) { $0 + $1.estimatedSeconds } }
    }

    var elapsed: Double { Self.seconds(clock.now - start) }

    func begin() {
        note("verify: \(plan.jobs.count) lab(s), \(jobs) at a time, about \(Self.minutes(eta())) on an idle machine")
        guard live else { return }
        ticker.withLock {
            $0 = Task { [self] in
                while !Task.isCancelled {
                    redraw()
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    func end() {
        ticker.withLock { $0?.cancel() }
        if live { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }

    func handle(_ event: LabVerification.Event) {
        switch event {
        case .started(let job):
            state.withLock { $0.running[job.name] = clock.now }
            if !live { note("verify: start \(job.name) (scale \(job.durationScale), \(job.variants.joined(separator: ", ")))") }
        case .finished(let result):
            let (done, total) = state.withLock { s -> (Int, Int) in
                s.running[result.name] = nil
                s.done += 1
                if !result.holds { s.failed += 1 }
                s.remainingEstimate -= plan.jobs.first { $0.name == result.name }?.estimatedSeconds ?? 0
                return (s.done, plan.jobs.count)
            }
            let line =
                String(format: "[%2d/%d] %@ %@ in %.1f s", done, total, result.verdict.rawValue, result.name, result.wallSeconds)
                + (result.failures.isEmpty ? "" : " — " + (result.failures.first?.split(separator: "\n").first.map(String.init) ?? ""))
            if live { FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line + "\n").utf8)) } else { note(line) }
            if live { redraw() }
        }
    }

    private func eta() -> Double {
        let remaining = state.withLock { $0.remainingEstimate }
        return max(0, remaining / Double(max(1, min(jobs, plan.jobs.count))))
    }

    private func redraw() {
        let now = clock.now
        let (running, done, failed) = state.withLock { s in
            (s.running.sorted { $0.value < $1.value }.map { "\($0.key) \(Int(Self.seconds(now - $0.value)))s" }, s.done, s.failed)
        }
        let line =
            "verify \(done)/\(plan.jobs.count) done" + (failed > 0 ? " (\(failed) failed)" : "")
            + " · running: \(running.isEmpty ? "—" : running.joined(separator: ", "))"
            + " · \(Self.minutes(elapsed)) elapsed · ~\(Self.minutes(eta())) left"
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    static func minutes(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s < 60 ? "\(s)s" : "\(s / 60)m\(String(format: "%02d", s % 60))s"
    }
}
