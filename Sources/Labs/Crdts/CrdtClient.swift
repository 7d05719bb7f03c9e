import Foundation
import LabKit
import Metrics
import Synchronization

/// The entry and the checker. The load generator's `POST /counters/{id}/increment|decrement` goes to
/// replica `id % 3` (counter `likes-<id / 3 % 4>`); the client counts every operation a replica
/// acknowledged, so the value each counter must end with is known exactly. The scenario's calls:
/// `POST /partition` (replica-1 | replica-2 + replica-3), `POST /set-script/{step}` (the scripted set
/// operations), `POST /heal` (measures the time until every replica shows the same state) and
/// `POST /audit` (counts lost increments and wrong set elements on every replica).
enum CrdtClient {
    static let counters = 4

    static func build(_ service: LabService) async throws {
        let replicas = try service.context.peers("replica", timeout: .seconds(5))
        let cluster = Cluster(replicas: replicas)
        let ledger = Ledger()
        let checker = ConvergenceChecker(cluster: cluster)
        service.addReadinessCheck("replica peers registered") { try await cluster.wire() }

        for (path, delta) in [("increment", 1), ("decrement", -1)] {
            service.router.post("/counters/:id/\(path)") { _, context -> Response in
                let id = abs(context.parameters.get("id", as: Int.self) ?? 0)
                let name = "likes-\(id / replicas.count % counters)"
                ledger.inFlight.wrappingAdd(1, ordering: .relaxed)
                defer { ledger.inFlight.wrappingSubtract(1, ordering: .relaxed) }
                let reply = try await replicas[id % replicas.count].post(
                    "/counters/\(name)/add/\(delta)", route: "/counters/{name}/add/{delta}")
                guard reply.isSuccess else { return .jsonError("replica answered \(reply.status)", status: .badGateway) }
                ledger.acknowledged(name, delta)
                return .json(reply.json)
            }
        }
        service.router.post("/partition") { _, _ -> JSONValue in try await cluster.partition() }
        service.router.post("/set-script/:step") { _, context -> Response in
            guard let step = context.parameters.get("step").flatMap(SetScript.Step.init(rawValue:)) else {
                return .jsonError("steps: \(SetScript.Step.allCases.map(\.rawValue))", status: .notFound)
            }
            try await SetScript.run(step, on: replicas)
            return .json(["step": .string(step.rawValue)])
        }
        service.router.post("/heal") { _, _ -> JSONValue in
            // Heal once the load has drained, so the time to agree measures the sync, not late requests.
            try await ledger.waitUntilQuiet()
            try await cluster.heal()
            checker.startTiming()
            return ["healed": true]
        }
        service.router.post("/audit") { _, _ -> JSONValue in
            try await ledger.waitUntilQuiet()
            return try await Audit.run(cluster: cluster, ledger: ledger)
        }
    }
}

/// The replicas, by name (each tells its own), and the partition the scenario puts between them.
final class Cluster: Sendable {
    let replicas: [PeerClient]
    private let names = Mutex<[String]>([])

    init(replicas: [PeerClient]) { self.replicas = replicas }

    /// Asks each replica its name, then tells each one the others' names and URLs.
    func wire() async throws {
        if names.withLock({ $0.count }) == replicas.count { return }
        var found: [String] = []
        for replica in replicas {
            guard let name = try await replica.get("/identity", route: "/identity").json["name"]?.stringValue else {
                throw LabStartupError("a replica did not tell its name")
            }
            found.append(name)
        }
        for (index, replica) in replicas.enumerated() {
            let others: [JSONValue] = replicas.indices.filter { $0 != index }.map {
                ["name": .string(found[$0]), "url": .string(replicas[$0].baseURL)]
            }
            let reply = try await replica.send(.PUT, "/admin/peers", body: .init(string: JSONValue.array(others).encodedString()))
            guard reply.isSuccess else { throw LabStartupError("\(found[index]) refused its peers: \(reply.status)") }
        }
        names.withLock { $0 = found }
    }

    var replicaNames: [String] { names.withLock { $0 } }

    /// replica-1 alone on one side, the others on the other: each side stops pushing to, and refuses
    /// pushes from, the other side.
    func partition() async throws -> JSONValue {
        let all = replicaNames
        guard all.count == replicas.count, let lonely = all.first else { throw LabStartupError("the replicas are not wired yet") }
        for (index, replica) in replicas.enumerated() {
            let cut = all[index] == lonely ? Array(all.dropFirst()) : [lonely]
            try await setCut(cut, on: replica)
        }
        return ["sides": [.array([.string(lonely)]), .array(all.dropFirst().map { .string($0) })]]
    }

    func heal() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for replica in replicas { group.addTask { try await self.setCut([], on: replica) } }
            try await group.waitForAll()
        }
    }

    private func setCut(_ cut: [String], on replica: PeerClient) async throws {
        let body = JSONValue.array(cut.map { .string($0) }).encodedString()
        let reply = try await replica.send(.PUT, "/admin/partition", body: .init(string: body))
        guard reply.isSuccess else { throw LabStartupError("a replica refused the partition: \(reply.status)") }
    }

    /// Every replica's `/state` (counters, sets, digest).
    func states() async throws -> [JSONValue] {
        try await withThrowingTaskGroup(of: (Int, JSONValue).self) { group in
            for (index, replica) in replicas.enumerated() {
                group.addTask { (index, try await replica.get("/state", route: "/state", timeout: .seconds(2)).json) }
            }
            var states = [JSONValue](repeating: .null, count: replicas.count)
            for try await (index, state) in group { states[index] = state }
            return states
        }
    }
}

/// Operations the replicas acknowledged, per counter: the value every replica must end with.
final class Ledger: Sendable {
    private let expected = Mutex<[String: Int]>([:])
    private let acknowledgedOps = Counter(label: "client_acknowledged_operations_total")
    private let expectedSum = Gauge(label: "client_expected_counter_sum")

    init() {
        acknowledgedOps.increment(by: 0)
        expectedSum.record(0)
    }

    func acknowledged(_ counter: String, _ delta: Int) {
        let sum = expected.withLock {
            $0[counter, default: 0] += delta
            return $0.values.reduce(0, +)
        }
        expectedSum.record(sum)
        acknowledgedOps.increment()
    }

    var expectedValues: [String: Int] { expected.withLock { $0 } }

    /// Operations sent to a replica and not answered yet.
    let inFlight = Atomic(0)

    /// Until no operation is in flight (two reads 100 ms apart), so that every operation a replica
    /// applied has been counted here, or not at all.
    func waitUntilQuiet(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        var quietReads = 0
        while quietReads < 2 {
            quietReads = inFlight.load(ordering: .relaxed) == 0 ? quietReads + 1 : 0
            guard ContinuousClock.now < deadline else { throw LabStartupError("operations still in flight after \(timeout)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// After the heal: polls every replica every 20 ms until all show the same digest;
/// `convergence_seconds` is the time from the heal to that moment. Until then it reads the time
/// since the heal, so replicas that never agree show a time that keeps growing, not a zero.
final class ConvergenceChecker: Sendable {
    let cluster: Cluster
    private let gauge = Gauge(label: "convergence_seconds")

    init(cluster: Cluster) { self.cluster = cluster }

    func startTiming() {
        let healedAt = ContinuousClock.now
        let seconds: @Sendable () -> Double = {
            let elapsed = ContinuousClock.now - healedAt
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        Task {
            while ContinuousClock.now - healedAt < .seconds(60) {
                let states = try? await cluster.states()
                gauge.record(seconds())
                if let states, Set(states.map { $0["digest"]?.stringValue ?? "" }).count == 1 { return }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}
