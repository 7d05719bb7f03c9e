import Foundation
import Metrics
import Synchronization

/// Leader election with an etcd lease: the leader is whoever holds `key`, attached to a lease of
/// `ttl` that it keeps alive. If the leader dies, freezes or loses etcd, its lease expires and the
/// key vanishes; the first candidate to create it again (a compare-and-swap on
/// `create_revision == 0`) leads. The key's create revision is the leader's fencing token: it only
/// grows from one leader to the next.
///
/// Call `renew()` every `ttl / 3` or so. A leader that cannot renew stops believing it leads at
/// `lastRenewal + ttl − safetyMargin`: before the lease can have expired in etcd, so two processes
/// never both act as leader (as long as their clocks run at about the same speed).
///
/// `leader_is_leader{key}` 1/0, `leader_elections_won_total{key}`.
public final class EtcdLeaderLease: Sendable {
    public let etcd: EtcdClient
    public let key: String
    public let identity: String
    public let ttl: Duration
    public let safetyMargin: Duration

    private struct State {
        var lease: Int64?
        /// While leading: until when we may act as leader without another successful renewal.
        var leadingUntil: ContinuousClock.Instant?
        var token: Int64 = 0
    }
    private let state = Mutex(State())
    private let gauge: Gauge
    private let won: Counter

    public init(etcd: EtcdClient, key: String, identity: String, ttl: Duration = .seconds(2), safetyMargin: Duration = .milliseconds(500)) {
        self.etcd = etcd
        self.key = key
        self.identity = identity
        self.ttl = ttl
        self.safetyMargin = safetyMargin
        self.gauge = Gauge(label: "leader_is_leader", dimensions: [("key", key)])
        self.won = Counter(label: "leader_elections_won_total", dimensions: [("key", key)])
        gauge.record(0)
        won.increment(by: 0)
    }

    /// Whether this process may act as leader now.
    public var isLeader: Bool {
        state.withLock { s in s.leadingUntil.map { ContinuousClock.now < $0 } ?? false }
    }

    /// The current leadership's fencing token (0 when not leading).
    public var fencingToken: Int64 { isLeader ? state.withLock { $0.token } : 0 }

    /// Keeps our lease alive and takes the key if nobody holds it. Returns whether we lead.
    @discardableResult
    public func renew() async -> Bool {
        let attempt = ContinuousClock.now
        do {
            var lease = state.withLock { $0.lease }
            if let current = lease, try await etcd.keepAlive(current) <= 0 { lease = nil } // expired: gone for good
            if lease == nil { lease = try await etcd.grantLease(ttl: ttl) }
            let ours = lease!
            var holder = try await etcd.get(key)
            if holder == nil {
                let (didWin, current) = try await etcd.createIfAbsent(key, value: identity, lease: ours)
                holder = current
                if didWin { won.increment() }
            }
            let leading = holder.map { $0.value == identity && $0.lease == ours } ?? false
            state.withLock { s in
                s.lease = ours
                s.leadingUntil = leading ? attempt + ttl - safetyMargin : nil
                s.token = leading ? holder!.createRevision : 0
            }
        } catch {
            // Unknown: keep leading only until the last successful renewal runs out.
        }
        let leading = isLeader
        gauge.record(leading ? 1 : 0)
        return leading
    }

    /// Steps down: deletes the key if it is ours and revokes the lease.
    public func resign() async {
        let lease = state.withLock { s in
            defer { s = State() }
            return s.lease
        }
        gauge.record(0)
        _ = try? await etcd.deleteIf(key, value: identity)
        if let lease { try? await etcd.revoke(lease) }
    }

    /// Renews every `ttl / 3` until the task is cancelled, calling `onChange` when leadership changes.
    public func campaign(onChange: @escaping @Sendable (Bool) async -> Void = { _ in }) async {
        var leading = false
        while !Task.isCancelled {
            let now = await renew()
            if now != leading {
                leading = now
                await onChange(now)
            }
            try? await Task.sleep(for: ttl / 3)
        }
    }
}
