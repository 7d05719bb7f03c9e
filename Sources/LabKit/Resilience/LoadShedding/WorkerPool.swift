import CoreMetrics
import Synchronization

/// How important a request is when a ``WorkerPool`` must choose: higher is served first and shed last.
/// The names follow Google's criticality levels (SRE book, "Handling Overload").
public enum RequestPriority: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case sheddable = 0
    case normal = 1
    case critical = 2

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `critical`, `normal`, `sheddable`: the `priority` label and the `x-priority` header value.
    public var description: String {
        switch self {
        case .sheddable: "sheddable"
        case .normal: "normal"
        case .critical: "critical"
        }
    }

    /// Parses a label (`critical`, `normal`, `sheddable`); nil for anything else.
    public init?(label: some StringProtocol) {
        guard let match = Self.allCases.first(where: { $0.description == label.lowercased() }) else { return nil }
        self = match
    }
}

/// Thrown when a ``WorkerPool`` turns a request away instead of serving it.
public struct WorkerPoolRejectedError: Error, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable, CaseIterable {
        /// The queue was at its bound and held nothing less important.
        case queueFull = "queue_full"
        /// It was queued, then pushed out by a more important arrival.
        case displaced
        /// It waited longer than the CoDel queue timeout.
        case expired
    }

    public let name: String
    public let reason: Reason
    public var description: String { "worker pool '\(name)' rejected the request (\(reason.rawValue))" }
}

/// A server's workers and the queue in front of them: at most `workers` requests run at once, the rest
/// wait, and the queue's policy decides who waits, in which order, and for how long.
///
/// This is where a server under overload lives or dies. With the defaults (unbounded FIFO) every
/// request is eventually served, however late: under a sustained 2x overload the queue, and the
/// wait, grow without bound, and the workers spend their time on requests whose clients gave up long
/// ago. The policy knobs are the remedies a load-shedding server combines (Facebook, "Fail at Scale"):
///
/// - `maxQueueLength`: a bounded queue; a full queue rejects at once (cheap) instead of accepting work
///   it cannot do in time.
/// - `order`: `.lifo` serves the newest first (its client is the most likely still waiting);
///   `.adaptiveLIFO` is FIFO while the queue drains and LIFO once a standing queue has formed.
/// - `codel`: a queue timeout that is `interval` while the queue empties now and then, and only
///   `target` once it has not been empty for a whole `interval` (a standing queue): stale requests
///   are dropped when a worker frees up or a request arrives.
/// - `usesPriorities`: the most important queued request is served first, and an arrival that finds
///   the queue full pushes out a less important one. Each priority's requests form their own queue
///   for CoDel and adaptive LIFO: critical requests, served first, rarely form a standing queue and
///   keep the lenient timeout while the sheddable ones' queue stands.
///
/// Cancelling a waiting task removes it from the queue. ``setWorkers(_:)`` changes the capacity at
/// run time (a backend that loses workers).
///
/// Metrics (labelled `name`): `worker_pool_workers`, `worker_pool_busy`, `worker_pool_queue_length`
/// (gauges), `worker_pool_admitted_total{priority}`, `worker_pool_rejected_total{priority,reason}`,
/// `worker_pool_queue_wait_seconds` (a histogram of admitted requests' time in the queue).
public final class WorkerPool<C: Clock<Duration>>: Sendable {
    public enum Order: String, Sendable, CaseIterable {
        case fifo
        case lifo
        case adaptiveLIFO = "adaptive-lifo"
    }

    /// Controlled-delay queue timeouts (Nichols and Jacobson's CoDel as Facebook applies it to RPC queues).
    public struct CoDel: Sendable {
        /// The queue timeout while a standing queue exists.
        public var target: Duration
        /// How long the queue must stay non-empty to count as standing; also the timeout otherwise.
        public var interval: Duration

        public init(target: Duration = .milliseconds(5), interval: Duration = .milliseconds(100)) {
            precondition(target > .zero && interval >= target)
            self.target = target
            self.interval = interval
        }
    }

    public struct Configuration: Sendable {
        public var workers: Int
        /// nil: unbounded; 0: never queue.
        public var maxQueueLength: Int?
        public var order: Order
        public var codel: CoDel?
        public var usesPriorities: Bool
        /// How long the queue must stay non-empty before `.adaptiveLIFO` switches to LIFO (CoDel's
        /// interval when CoDel is on).
        public var standingQueueAfter: Duration { codel?.interval ?? .milliseconds(100) }

        public init(workers: Int, maxQueueLength: Int? = nil, order: Order = .fifo, codel: CoDel? = nil, usesPriorities: Bool = false) {
            precondition(workers >= 0 && (maxQueueLength ?? 0) >= 0)
            self.workers = workers
            self.maxQueueLength = maxQueueLength
            self.order = order
            self.codel = codel
            self.usesPriorities = usesPriorities
        }
    }

    /// Proof of holding a worker; give it back with ``release(_:)``.
    public struct Permit: Sendable {
        public let priority: RequestPriority
        /// How long it waited in the queue.
        public let queued: Duration
    }

    private enum WaiterState {
        case pending
        case waiting(CheckedContinuation<Void, any Error>)
    }

    private struct Waiter {
        let id: UInt64
        let priority: RequestPriority
        let enqueuedAt: C.Instant
        var state: WaiterState
    }

    private enum Admission {
        case now
        case wait(UInt64)
        case reject
    }

    /// What to do with a waiter once the lock is released.
    private enum Settlement {
        case grant
        case reject(WorkerPoolRejectedError.Reason)
        case cancel
    }

    private struct State {
        var workers: Int
        var busy = 0
        var queue: [Waiter] = []
        var nextID: UInt64 = 0
        /// When each priority's queue was last empty (a standing queue has been non-empty since).
        var lastEmptyAt: [RequestPriority: C.Instant]
        /// Outcomes decided under the lock for waiters that had not stored their continuation yet.
        var early: [UInt64: Settlement] = [:]
    }

    public let name: String
    public let configuration: Configuration
    private let clock: C
    private let state: Mutex<State>
    private let metrics: WorkerPoolMetrics

    public init(name: String, configuration: Configuration, clock: C, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.name = name
        self.configuration = configuration
        self.clock = clock
        let now = clock.now
        let emptySince = Dictionary(uniqueKeysWithValues: RequestPriority.allCases.map { ($0, now) })
        state = Mutex(State(workers: configuration.workers, lastEmptyAt: emptySince))
        metrics = WorkerPoolMetrics(name: name, factory: metricsFactory)
        metrics.publish(workers: configuration.workers, busy: 0, queued: 0)
    }

    public var workers: Int { state.withLock { $0.workers } }
    public var busy: Int { state.withLock { $0.busy } }
    public var queueLength: Int { state.withLock { $0.queue.count } }

    /// Changes how many requests may run at once. Fewer: running ones finish, no new one starts until
    /// `busy` is below the new count. More: queued requests start at once.
    public func setWorkers(_ workers: Int) {
        precondition(workers >= 0)
        let settled = state.withLock { state -> [(CheckedContinuation<Void, any Error>, Settlement)] in
            state.workers = workers
            return dispatch(&state)
        }
        resume(settled)
    }

    /// Runs `operation` on a worker, waiting in the queue as the policy allows.
    nonisolated(nonsending) public func execute<R>(
        priority: RequestPriority = .normal, _ operation: nonisolated(nonsending) (Permit) async throws -> R
    ) async throws -> R {
        let permit = try await acquire(priority: priority)
        defer { release(permit) }
        return try await operation(permit)
    }

    /// Takes a worker, queueing if none is free. Throws ``WorkerPoolRejectedError`` when shed and
    /// `CancellationError` if the task is cancelled while queued.
    public func acquire(priority: RequestPriority = .normal) async throws -> Permit {
        let priority = configuration.usesPriorities ? priority : .normal
        let now = clock.now
        var settled: [(CheckedContinuation<Void, any Error>, Settlement)] = []
        let admission = state.withLock { state -> Admission in
            settled = dropExpired(&state, now: now)
            if state.busy < state.workers && state.queue.isEmpty {
                state.busy += 1
                publish(state)
                return .now
            }
            if let bound = configuration.maxQueueLength, state.queue.count >= bound {
                guard configuration.usesPriorities, let victim = displacementVictim(in: state.queue, for: priority) else {
                    return .reject
                }
                settled += settle(&state, state.queue[victim].id, as: .reject(.displaced))
            }
            if !state.queue.contains(where: { $0.priority == priority }) { state.lastEmptyAt[priority] = now }
            state.nextID += 1
            state.queue.append(Waiter(id: state.nextID, priority: priority, enqueuedAt: now, state: .pending))
            publish(state)
            return .wait(state.nextID)
        }
        resume(settled)
        switch admission {
        case .now:
            metrics.admitted(priority, queued: .zero)
            return Permit(priority: priority, queued: .zero)
        case .reject:
            metrics.rejected(priority, .queueFull)
            throw WorkerPoolRejectedError(name: name, reason: .queueFull)
        case .wait(let id):
            try await waitInQueue(id, priority: priority)
            let queued = now.duration(to: clock.now)
            metrics.admitted(priority, queued: queued)
            return Permit(priority: priority, queued: queued)
        }
    }

    /// Frees a worker and starts the next queued request the policy picks.
    public func release(_ permit: Permit) {
        let settled = state.withLock { state -> [(CheckedContinuation<Void, any Error>, Settlement)] in
            state.busy -= 1
            return dispatch(&state)
        }
        resume(settled)
    }

    private func waitInQueue(_ id: UInt64, priority: RequestPriority) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let early = state.withLock { state -> Settlement? in
                    if let decided = state.early.removeValue(forKey: id) { return decided }
                    guard let index = state.queue.firstIndex(where: { $0.id == id }) else { return .cancel }
                    state.queue[index].state = .waiting(continuation)
                    return nil
                }
                if let early { resume([(continuation, early)]) }
            }
        } onCancel: {
            let settled = state.withLock { state in settle(&state, id, as: .cancel) }
            resume(settled)
        }
    }

    /// Starts queued requests while workers are free, dropping the ones CoDel says waited too long.
    private func dispatch(_ state: inout State) -> [(CheckedContinuation<Void, any Error>, Settlement)] {
        let now = clock.now
        var settled = dropExpired(&state, now: now)
        while state.busy < state.workers, let next = nextIndex(state, now: now) {
            state.busy += 1
            settled += settle(&state, state.queue[next].id, as: .grant)
        }
        publish(state)
        return settled
    }

    /// CoDel: drops every queued request that waited longer than its queue's current timeout.
    private func dropExpired(_ state: inout State, now: C.Instant) -> [(CheckedContinuation<Void, any Error>, Settlement)] {
        guard let codel = configuration.codel, !state.queue.isEmpty else { return [] }
        let standing = Set(RequestPriority.allCases.filter { isStanding(state, $0, now: now) })
        let expired = state.queue.filter { waiter in
            waiter.enqueuedAt.duration(to: now) > (standing.contains(waiter.priority) ? codel.target : codel.interval)
        }
        return expired.map(\.id).flatMap { settle(&state, $0, as: .reject(.expired)) }
    }

    /// A standing queue: this priority's requests have not all been gone for the standing interval.
    private func isStanding(_ state: State, _ priority: RequestPriority, now: C.Instant) -> Bool {
        guard let since = state.lastEmptyAt[priority], state.queue.contains(where: { $0.priority == priority }) else { return false }
        return since.duration(to: now) >= configuration.standingQueueAfter
    }

    /// The queued request to serve next: the most important, then by the queue order.
    private func nextIndex(_ state: State, now: C.Instant) -> Int? {
        guard let top = state.queue.map(\.priority).max() else { return nil }
        let newestFirst =
            switch configuration.order {
            case .fifo: false
            case .lifo: true
            case .adaptiveLIFO: isStanding(state, top, now: now)
            }
        let candidates = state.queue.indices.filter { state.queue[$0].priority == top }
        return newestFirst ? candidates.last : candidates.first
    }

    /// The request an arrival of `priority` pushes out of a full queue: the oldest of the least
    /// important, if it is less important than the arrival.
    private func displacementVictim(in queue: [Waiter], for priority: RequestPriority) -> Int? {
        guard let lowest = queue.map(\.priority).min(), lowest < priority else { return nil }
        return queue.firstIndex { $0.priority == lowest }
    }

    /// Removes a waiter from the queue with an outcome; returns its continuation if it had stored one,
    /// else records the outcome for it to find.
    private func settle(
        _ state: inout State, _ id: UInt64, as settlement: Settlement
    ) -> [(CheckedContinuation<Void, any Error>, Settlement)] {
        guard let index = state.queue.firstIndex(where: { $0.id == id }) else { return [] }
        let waiter = state.queue.remove(at: index)
        if !state.queue.contains(where: { $0.priority == waiter.priority }) { state.lastEmptyAt[waiter.priority] = clock.now }
        if case .reject(let reason) = settlement { metrics.rejected(waiter.priority, reason) }
        switch waiter.state {
        case .waiting(let continuation):
            return [(continuation, settlement)]
        case .pending:
            state.early[id] = settlement
            return []
        }
    }

    private func resume(_ settled: [(CheckedContinuation<Void, any Error>, Settlement)]) {
        for (continuation, settlement) in settled {
            switch settlement {
            case .grant: continuation.resume()
            case .reject(let reason): continuation.resume(throwing: WorkerPoolRejectedError(name: name, reason: reason))
            case .cancel: continuation.resume(throwing: CancellationError())
            }
        }
    }

    private func publish(_ state: State) {
        metrics.publish(workers: state.workers, busy: state.busy, queued: state.queue.count)
    }
}

extension WorkerPool where C == ContinuousClock {
    public convenience init(name: String, configuration: Configuration, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.init(name: name, configuration: configuration, clock: ContinuousClock(), metricsFactory: metricsFactory)
    }
}

/// The pool's series, every label value created at 0 when the pool is made (so a rate over a window
/// sees the first rejection).
private struct WorkerPoolMetrics: Sendable {
    let workers: Gauge
    let busy: Gauge
    let queueLength: Gauge
    let queueWait: Timer
    let admittedCounters: [RequestPriority: Counter]
    let rejectedCounters: [String: Counter]

    init(name: String, factory: any MetricsFactory) {
        let dimensions = [("name", name)]
        workers = Gauge(label: "worker_pool_workers", dimensions: dimensions, factory: factory)
        busy = Gauge(label: "worker_pool_busy", dimensions: dimensions, factory: factory)
        queueLength = Gauge(label: "worker_pool_queue_length", dimensions: dimensions, factory: factory)
        queueWait = Timer(label: "worker_pool_queue_wait_seconds", dimensions: dimensions, factory: factory)
        var admitted: [RequestPriority: Counter] = [:]
        var rejected: [String: Counter] = [:]
        for priority in RequestPriority.allCases {
            admitted[priority] = Counter(
                label: "worker_pool_admitted_total", dimensions: dimensions + [("priority", "\(priority)")], factory: factory)
            for reason in WorkerPoolRejectedError.Reason.allCases {
                rejected["\(priority)/\(reason.rawValue)"] = Counter(
                    label: "worker_pool_rejected_total",
                    dimensions: dimensions + [("priority", "\(priority)"), ("reason", reason.rawValue)],
                    factory: factory)
            }
        }
        admittedCounters = admitted
        rejectedCounters = rejected
    }

    func publish(workers: Int, busy: Int, queued: Int) {
        self.workers.record(workers)
        self.busy.record(busy)
        queueLength.record(queued)
    }

    func admitted(_ priority: RequestPriority, queued: Duration) {
        admittedCounters[priority]?.increment()
        queueWait.recordNanoseconds(queued.components.seconds * 1_000_000_000 + queued.components.attoseconds / 1_000_000_000)
    }

    func rejected(_ priority: RequestPriority, _ reason: WorkerPoolRejectedError.Reason) {
        rejectedCounters["\(priority)/\(reason.rawValue)"]?.increment()
    }
}
