// loadgen-bench: measures the load generator engine (see README.md).
//
//   loadgen-bench serve                      start the target: GET /fast answers "ok"; prints the port
//   loadgen-bench rate URL R1,R2,… SECONDS   open loop at each rate: achieved rate, lag, latency, CPU
//   loadgen-bench max URL USERS SECONDS      closed loop, no think time: maximum responses per second
//   loadgen-bench bare URL USERS SECONDS     the same with bare AsyncHTTPClient calls (engine overhead)

import AsyncHTTPClient
import Foundation
import Hummingbird
import LabControl
import NIOPosix
import Synchronization

func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func ms(_ d: Duration?) -> String {
    guard let d else { return "-" }
    let (s, atto) = d.components
    return String(format: "%.2f", Double(s) * 1e3 + Double(atto) / 1e15)
}

func serve() async throws {
    let router = Router()
    router.get("/fast") { _, _ in "ok" }
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: Int(ProcessInfo.processInfo.environment["PORT"] ?? "0")!)),
        onServerRunning: { channel in
            // Unbuffered, so a script reading the pipe sees the port at once.
            FileHandle.standardOutput.write(Data("port \(channel.localAddress?.port ?? 0)\n".utf8))
        }
    )
    try await app.runService()
}

func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: Swift.max(0, width - s.count)) + s }

func outcomeSummary(_ o: OutcomeCounts) -> String {
    RequestOutcome.allCases.filter { o[$0] > 0 }.map { "\($0.label)=\(o[$0])" }.joined(separator: " ")
}

func kind() -> RequestKind { RequestKind(name: "fast", path: "/fast", timeout: .seconds(5)) }

func rate(target: String, rates: [Double], seconds: Int) async throws {
    print("target_rps  sent  achieved_rps  deviation  errors  lag_p99_ms  lag_max_ms  p50_ms  p99_ms  max_ms  cpu_%")
    for r in rates {
        // A short warm-up opens connections, then the measured phase.
        let plan = LoadPlan(
            target: target,
            phases: [
                LoadPhase(name: "warmup", duration: .seconds(2), arrivals: .openLoop(.ramp(from: r / 10, to: r)), requests: [kind()]),
                LoadPhase(name: "measure", duration: .seconds(seconds), arrivals: .openLoop(.constant(r)), requests: [kind()]),
            ], maxInFlight: 2_000)
        let generator = try LoadGenerator(plan: plan)
        let cpuBefore = cpuSeconds()
        let report = try await generator.run()
        let cpu = (cpuSeconds() - cpuBefore) / report.elapsed.secondsValue * 100
        let p = report.phases[1]
        let achieved = p.achievedRate
        print(
            String(
                format: "%10.0f  %5d  %12.1f  %8.2f%%  %6d", r, p.stats.outcomes.sent, achieved,
                (achieved - r) / r * 100, p.stats.outcomes.errors),
            pad(ms(p.sendLag.latency(atPercentile: 99)), 10), pad(ms(p.sendLag.latency(atPercentile: 100)), 10),
            pad(ms(p.stats.latency(atPercentile: 50)), 6), pad(ms(p.stats.latency(atPercentile: 99)), 6),
            pad(ms(p.stats.latency(atPercentile: 100)), 6), String(format: "%5.0f", cpu), separator: "  ")
        if p.stats.outcomes.errors > 0 { print("            outcomes:", outcomeSummary(p.stats.outcomes)) }
    }
}

func max(target: String, users: Int, seconds: Int) async throws {
    let plan = LoadPlan(
        target: target,
        phases: [
            LoadPhase(name: "warmup", duration: .seconds(2), arrivals: .closedLoop(users: users), requests: [kind()]),
            LoadPhase(name: "measure", duration: .seconds(seconds), arrivals: .closedLoop(users: users), requests: [kind()]),
        ], maxInFlight: users)
    let report = try await LoadGenerator(plan: plan).run()
    let p = report.phases[1]
    print(
        String(format: "users %d  responses/s %.0f  errors %d", users, p.achievedRate, p.stats.outcomes.errors),
        "p50_ms", ms(p.stats.latency(atPercentile: 50)), "p99_ms", ms(p.stats.latency(atPercentile: 99)))
}

/// The same closed loop with bare AsyncHTTPClient calls — no schedule, recorder, spans or metrics —
/// the client the engine used before `LoadHTTPClient`, kept as a reference.
func bareClient(target: String, users: Int, seconds: Int) async throws {
    // The settings the engine used with AsyncHTTPClient before it got its own client.
    var configuration = HTTPClient.Configuration()
    configuration.httpVersion = .http1Only
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: users)
    configuration.connectionPool.retryConnectionEstablishment = false
    configuration.redirectConfiguration = .disallow
    let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    final class Count: Sendable { let value = Atomic<Int>(0) }
    let count = Count()
    let end = ContinuousClock.now + .seconds(seconds)
    await withDiscardingTaskGroup { group in
        for _ in 0..<users {
            group.addTask {
                while ContinuousClock.now < end {
                    let response = try? await client.execute(HTTPClientRequest(url: target + "/fast"), timeout: .seconds(5))
                    if let response { _ = try? await response.body.collect(upTo: 1 << 20) }
                    count.value.add(1, ordering: .relaxed)
                }
            }
        }
    }
    try await client.shutdown()
    print(
        String(
            format: "users %d  responses/s %.0f  (bare AsyncHTTPClient)", users,
            Double(count.value.load(ordering: .relaxed)) / Double(seconds)))
}

extension Duration {
    var secondsValue: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }
}

let args = CommandLine.arguments.dropFirst().map { $0 }
switch args.first {
case "serve":
    try await serve()
case "rate" where args.count == 4:
    try await rate(target: args[1], rates: args[2].split(separator: ",").map { Double($0)! }, seconds: Int(args[3])!)
case "max" where args.count == 4:
    try await max(target: args[1], users: Int(args[2])!, seconds: Int(args[3])!)
case "bare" where args.count == 4:
    try await bareClient(target: args[1], users: Int(args[2])!, seconds: Int(args[3])!)
default:
    FileHandle.standardError.write(Data("usage: loadgen-bench serve | rate URL R1,R2,… SECONDS | max URL USERS SECONDS\n".utf8))
    exit(2)
}
