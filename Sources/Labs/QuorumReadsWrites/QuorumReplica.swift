import Foundation
import LabKit
import Metrics
import NIOCore
import Synchronization

/// One replica: a key → (version, value) map in its own memory. A write carries the version the
/// coordinator gave it, and a replica keeps only the newest version of a key, so writes and
/// propagations that arrive late or out of order never move a key backwards.
///
///     GET /store/{key}                      → {"version": v, "value": "…"} (version 0: never written here)
///     PUT /store/{key}  x-version: v, body  → {"version": the version now held}
///
/// Every request on `/store` takes the replica's one worker (a FIFO queue, like a single-threaded
/// storage engine) for a long-tailed service time: SERVICE_MIN_MS × a Pareto draw of shape
/// SERVICE_TAIL, at most SERVICE_MAX_MS (8 ms, 1.5, 400 ms: median 13 ms, 1 in 10 over 37 ms, 1 in 100
/// over 172 ms; a disk seek, a compaction, a pause). So waiting for more replicas costs twice: the
/// slowest of R draws, whose tail is R times as likely, and R times the replica work, which queues.
/// `x-background: 1` marks the coordinator's asynchronous propagation and read repair: applied
/// without the service time (a replication stream applies in batches, off the request path).
enum QuorumReplica {
    static let serviceMinKnob = Knob.milliseconds("SERVICE_MIN_MS", default: 8, in: 0...10_000, "shortest service time of one request")
    static let serviceMaxKnob = Knob.milliseconds("SERVICE_MAX_MS", default: 400, in: 0...60_000, "longest service time of one request")
    static let serviceTailKnob = Knob.number(
        "SERVICE_TAIL", default: 1.5, in: 0.5...10, "Pareto shape of the service time: smaller, a longer tail")
    static let workersKnob = Knob.wholeNumber(
        "WORKERS", default: 1, in: 1...64, "requests this replica serves at once; the others wait in a FIFO queue")
    static let knobs: [any LabKnob] = [serviceMinKnob, serviceMaxKnob, serviceTailKnob, workersKnob]

    static func build(_ service: LabService) async throws {
        let minimum = try service.knobs.read(serviceMinKnob)
        let maximum = max(minimum, try service.knobs.read(serviceMaxKnob))
        let tail = try service.knobs.read(serviceTailKnob)
        let store = QuorumStore()
        let worker = Bulkhead(
            name: "replica", configuration: .init(maxConcurrentCalls: try service.knobs.read(workersKnob), maxWaitDuration: .seconds(30)),
            clock: ContinuousClock())

        /// One request's service time: minimum × U^(-1/shape), a Pareto draw, capped at the maximum.
        @Sendable func serviceTime() -> Duration {
            let draw = minimum.inSeconds * pow(Double.random(in: Double.ulpOfOne...1), -1 / tail)
            return .seconds(min(draw, maximum.inSeconds))
        }

        /// The request's work: hold the worker for a service time (background writes skip it).
        @Sendable func serve<T>(_ request: Request, _ body: () -> T) async throws -> T {
            if request.headers[.init("x-background")!] == "1" { return body() }
            return try await worker.execute {
                try await Task.sleep(for: serviceTime())
                return body()
            }
        }

        service.router.get("/store/:key") { request, context -> JSONValue in
            let key = context.parameters.get("key") ?? ""
            let entry = try await serve(request) { store.read(key) }
            return ["version": .number(Double(entry.version)), "value": .string(entry.value)]
        }
        service.router.put("/store/:key") { request, context -> Response in
            let key = context.parameters.get("key") ?? ""
            guard let version = request.headers[.init("x-version")!].flatMap(Int.init), version > 0 else {
                return .jsonError("x-version: a positive whole number is required", status: .badRequest)
            }
            let body = try await request.body.collect(upTo: 4_096)
            let source = request.headers[.init("x-source")!] ?? "quorum"
            let held = try await serve(request) { store.write(key, version: version, value: String(buffer: body), source: source) }
            return .json(["version": .number(Double(held))])
        }
    }
}

/// The map, and `replica_keys`, `replica_writes_total{source, result}` (source: quorum, propagation,
/// repair; result: applied, or superseded when the replica already held a newer version).
final class QuorumStore: Sendable {
    struct Entry: Sendable {
        var version: Int
        var value: String
    }
    private let entries = Mutex<[String: Entry]>([:])
    private let keys = Gauge(label: "replica_keys")

    init() {
        keys.record(0)
        for source in ["quorum", "propagation", "repair"] {
            for result in ["applied", "superseded"] { Self.writes(source, result).increment(by: 0) }
        }
    }

    private static func writes(_ source: String, _ result: String) -> Counter {
        Counter(label: "replica_writes_total", dimensions: [("source", source), ("result", result)])
    }

    func read(_ key: String) -> Entry { entries.withLock { $0[key] } ?? Entry(version: 0, value: "") }

    /// Keeps the newer version; answers the version held afterwards.
    func write(_ key: String, version: Int, value: String, source: String) -> Int {
        let (held, applied, count) = entries.withLock { entries -> (Int, Bool, Int) in
            if let current = entries[key], current.version >= version { return (current.version, false, entries.count) }
            entries[key] = Entry(version: version, value: value)
            return (version, true, entries.count)
        }
        keys.record(count)
        Self.writes(["quorum", "propagation", "repair"].contains(source) ? source : "quorum", applied ? "applied" : "superseded")
            .increment()
        return held
    }
}
