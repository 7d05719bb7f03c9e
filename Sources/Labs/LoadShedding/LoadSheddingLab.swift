import LabKit

/// Week 35: load shedding.
///
///     load generator (open loop, ~2x capacity) → worker GET /work/{id}   (x-priority: critical|normal|sheddable)
///
/// The worker has WORKERS slots of WORK_MS each and a queue in front of them (LabKit's `WorkerPool`).
/// The knobs choose the queue: unbounded FIFO (before) or bounded, adaptive LIFO, CoDel timeouts and
/// priorities (after).
enum LoadSheddingLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "worker", "GET /work/{id}: WORKERS slots of WORK_MS behind a queue the QUEUE* / CODEL* / PRIORITIES knobs shape",
            build: SheddingWorker.build)
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = ["worker": SheddingQueueSettings.knobs]
}
