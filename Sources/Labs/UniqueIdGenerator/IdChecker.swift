import LabKit
import Metrics
import NIOCore

/// The checker: the client of the three generators, and the one place that sees every id they hand out.
///
///     GET  /collect   (the load generator's request) drains every generator's outbox at once
///                     (`POST /outbox/drain`) and records each id in the ledger; answers how many from whom
///     GET  /ledger    received, distinct, duplicates by cause, and the first duplicates taken apart
///     POST /bench     ids per second: each generator minting alone, then PostgreSQL's nextval
///
/// A generator that does not answer (down while it restarts) is counted
/// (`generator_calls_failed_total{generator, reason}`) and skipped for this drain: the others answer.
enum IdChecker {
    static func build(_ service: LabService) async throws {
        let settings = try IdCheckerSettings(service.knobs)
        let generators = try service.context.peers("generator", timeout: settings.callTimeout)
        let names = generators.indices.map { "generator-\($0 + 1)" }
        let ledger = IdLedger(generators: names)
        let failures = GeneratorCallFailures(generators: names)
        guard let db = try service.postgres() else {
            throw LabStartupError("the checker needs DATABASE_URL: the sequence it compares with is in PostgreSQL")
        }
        let bench = IdThroughputBench(generators: Array(zip(names, generators)), db: db, settings: settings)

        service.router.get("/collect") { _, _ -> Response in
            let answers = await withTaskGroup(of: (String, Result<(String, [Int64]), GeneratorCallFailure>).self) { group in
                for (name, generator) in zip(names, generators) {
                    group.addTask { (name, await fetch(from: generator, name: name)) }
                }
                var answers: [(String, Result<(String, [Int64]), GeneratorCallFailure>)] = []
                for await answer in group { answers.append(answer) }
                return answers
            }
            var got: [String: JSONValue] = [:]
            var failed: [String: JSONValue] = [:]
            for (name, result) in answers {
                switch result {
                case .success(let (generator, ids)):
                    ledger.record(ids, from: generator)
                    got[generator] = .number(Double(ids.count))
                case .failure(let failure):
                    failures.count(failure, from: name)
                    failed[name] = .string(failure.detail)
                }
            }
            let body: JSONValue = ["received": .object(got), "failed": .object(failed)]
            return .json(body, status: got.isEmpty ? .badGateway : .ok)
        }

        service.router.get("/ledger") { _, _ -> JSONValue in ledger.summary }

        service.router.post("/bench") { _, _ -> Response in
            do {
                return .json(try await bench.run())
            } catch {
                return .jsonError("bench: \(error)", status: .badGateway)
            }
        }
    }

    /// One generator's answer: who answered (its `x-generator` header) and its ids (8 bytes each,
    /// big-endian), or why there are none.
    static func fetch(from generator: PeerClient, name: String) async -> Result<(String, [Int64]), GeneratorCallFailure> {
        do {
            let reply = try await generator.post("/outbox/drain", route: "/outbox/drain")
            guard reply.isSuccess else {
                let reason: GeneratorCallFailure.Reason = reply.status == 503 ? .refused : .error
                return .failure(
                    GeneratorCallFailure(reason: reason, detail: "\(reply.status): \(reply.json["error"]?.stringValue ?? reply.text)"))
            }
            var body = reply.body
            var ids: [Int64] = []
            ids.reserveCapacity(body.readableBytes / 8)
            while let id = body.readInteger(endianness: .big, as: Int64.self) { ids.append(id) }
            return .success((reply.headers.first(name: "x-generator") ?? name, ids))
        } catch let error as PeerError {
            if case .timeout = error { return .failure(GeneratorCallFailure(reason: .timeout, detail: error.description)) }
            return .failure(GeneratorCallFailure(reason: .unavailable, detail: error.description))
        } catch {
            return .failure(GeneratorCallFailure(reason: .error, detail: "\(error)"))
        }
    }
}

struct GeneratorCallFailure: Error {
    enum Reason: String, CaseIterable { case refused, unavailable, timeout, error }
    let reason: Reason
    let detail: String
}

/// `generator_calls_failed_total{generator, reason}`: refused (503), unavailable (not running),
/// timeout, error.
struct GeneratorCallFailures: Sendable {
    private let counters: [String: Counter]

    init(generators: [String]) {
        var counters: [String: Counter] = [:]
        for generator in generators {
            for reason in GeneratorCallFailure.Reason.allCases {
                let counter = Counter(
                    label: "generator_calls_failed_total", dimensions: [("generator", generator), ("reason", reason.rawValue)])
                counter.increment(by: 0)
                counters[generator + "/" + reason.rawValue] = counter
            }
        }
        self.counters = counters
    }

    func count(_ failure: GeneratorCallFailure, from generator: String) {
        counters[generator + "/" + failure.reason.rawValue]?.increment()
    }
}
