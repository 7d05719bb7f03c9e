import LabKit
import NIOCore
import NIOHTTP1

/// The coordinator's side of the replicas: one read or write on one replica, the asynchronous
/// propagation to the replicas outside a write quorum, and read repair.
struct QuorumCluster: Sendable {
    let replicas: [PeerClient]
    let propagationDelay: Duration
    let readRepair: Bool

    func randomOrder() -> [Int] { Array(replicas.indices).shuffled() }

    /// The replica's entry for `key`; nil when the replica failed.
    func read(_ replica: Int, key: String, metrics: QuorumMetrics) async -> QuorumStore.Entry? {
        let reply = try? await replicas[replica].get("/store/\(key)", route: "/store/{key}")
        guard let reply, reply.isSuccess, let version = reply.json["version"]?.intValue else {
            metrics.replicaCall("read", ok: false)
            return nil
        }
        metrics.replicaCall("read", ok: true)
        return .init(version: version, value: reply.json["value"]?.stringValue ?? "")
    }

    /// true when the replica stored the version (or already held a newer one); nil when it failed.
    func write(
        _ replica: Int, key: String, version: Int, value: String, source: String = "quorum", metrics: QuorumMetrics
    ) async -> Bool? {
        var headers: HTTPHeaders = ["x-version": String(version), "x-source": source]
        if source != "quorum" { headers.add(name: "x-background", value: "1") }
        let reply = try? await replicas[replica].send(
            .PUT, "/store/\(key)", route: "/store/{key}", headers: headers, body: ByteBuffer(string: value))
        let ok = reply?.isSuccess == true
        if source == "quorum" { metrics.replicaCall("write", ok: ok) }
        return ok ? true : nil
    }

    /// Eventual consistency beyond the quorum: the replicas that did not store the write get it
    /// `propagationDelay` after the acknowledgement. A replica that fails then misses it (until a read
    /// repairs the key, or a newer write reaches it).
    func propagateLater(key: String, version: Int, value: String, except stored: Set<Int>, metrics: QuorumMetrics) {
        let rest = replicas.indices.filter { !stored.contains($0) }
        guard !rest.isEmpty else { return }
        Task {
            try? await Task.sleep(for: propagationDelay)
            await withTaskGroup(of: Void.self) { group in
                for replica in rest {
                    group.addTask {
                        let ok = await write(replica, key: key, version: version, value: value, source: "propagation", metrics: metrics)
                        metrics.propagated(ok: ok == true)
                    }
                }
            }
        }
    }

    /// Read repair: the newest version a read found, written back to the replicas of that read that
    /// answered an older one (in the background; the reader has its answer already).
    func repair(_ behind: [Int], key: String, newest: QuorumStore.Entry, metrics: QuorumMetrics) {
        guard readRepair, !behind.isEmpty, newest.version > 0 else { return }
        metrics.readRepairs.increment(by: Int64(behind.count))
        Task {
            for replica in behind {
                _ = await write(replica, key: key, version: newest.version, value: newest.value, source: "repair", metrics: metrics)
            }
        }
    }
}
