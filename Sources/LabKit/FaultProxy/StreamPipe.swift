import NIOCore

/// One direction of a proxied connection: reads from `source`, writes to `destination`, applying
/// the direction's toxics on the way.
///
/// Without latency or bandwidth toxics a chunk is written straight through. With them, each chunk
/// gets a due time and waits in a queue that is drained by a timer, so order is always preserved.
/// Back-pressure: the source stops reading (autoRead off) while the destination is not writable or
/// while too many bytes wait in our own queue, and resumes once they drain.
///
/// Confined to the event loop both channels share; never touched from another thread.
final class StreamPipe {
    /// What the direction's toxics currently ask for (see `ProxyConnection.applyToxics`).
    struct Effects: Equatable {
        var latency: Duration = .zero
        var jitter: Duration = .zero
        var bytesPerSecond: Int?
        /// Timeout toxic: forward nothing, drop what arrives.
        var dropping = false
        var slowClose: Duration = .zero

        var delaysData: Bool { latency > .zero || jitter > .zero || bytesPerSecond != nil }
    }

    private struct Pending {
        var buffer: ByteBuffer
        var due: NIODeadline
    }

    let direction: ToxicStream
    let source: Channel
    let destination: Channel
    var effects = Effects()
    private let onForwarded: (Int) -> Void

    private var queue = CircularBuffer<Pending>()
    private var queuedBytes = 0
    private var lastDue = NIODeadline.uptimeNanoseconds(0)
    private var drainTimer: Scheduled<Void>?
    private var needsFlush = false
    private var lastWrite: EventLoopFuture<Void>?
    private var sourceEnded = false
    private var isFinished = false
    private var readingPaused = false

    /// Above this many queued bytes the source stops reading; below the low mark it resumes.
    private static let queueHighWater = 1 << 20
    private static let queueLowWater = 1 << 18

    init(direction: ToxicStream, source: Channel, destination: Channel, onForwarded: @escaping (Int) -> Void) {
        self.direction = direction
        self.source = source
        self.destination = destination
        self.onForwarded = onForwarded
    }

    // MARK: - Events from the channel handlers

    func receive(_ buffer: ByteBuffer) {
        guard !isFinished, !effects.dropping else { return }
        if queue.isEmpty && !effects.delaysData {
            write(buffer)
            return
        }
        enqueue(buffer)
    }

    /// The source finished a batch of reads: flush what was written straight through.
    func readComplete() {
        flushIfNeeded()
    }

    /// The source closed. Deliver what is queued, then close the destination (late, with slow_close).
    func sourceDidEnd() {
        guard !sourceEnded else { return }
        sourceEnded = true
        finishIfDrained()
    }

    func updateReading() {
        let shouldRead =
            !isFinished && destination.isWritable && queuedBytes < Self.queueHighWater
            && !(readingPaused && queuedBytes > Self.queueLowWater)
        guard shouldRead == readingPaused else { return }
        readingPaused = !shouldRead
        try? source.syncOptions?.setOption(ChannelOptions.autoRead, value: shouldRead)
    }

    /// Stops everything: queued data is dropped, timers cancelled (the connection is being cut).
    func cancel() {
        isFinished = true
        drainTimer?.cancel()
        drainTimer = nil
        queue.removeAll()
        queuedBytes = 0
    }

    // MARK: - Delayed delivery

    private func enqueue(_ buffer: ByteBuffer) {
        var buffer = buffer
        let now = NIODeadline.now()
        var base = now + TimeAmount(effects.latency)
        if effects.jitter > .zero {
            let jitter = Int64(effects.jitter.wholeNanoseconds)
            base = base + .nanoseconds(Int64.random(in: -jitter...jitter))
            if base < now { base = now }
        }
        // Bandwidth: slices worth ~50 ms each, so a large chunk trickles out instead of arriving at once.
        let sliceSize = effects.bytesPerSecond.map { max(1024, $0 / 20) } ?? buffer.readableBytes
        while let slice = buffer.readSlice(length: min(sliceSize, buffer.readableBytes)), slice.readableBytes > 0 {
            var due = max(base, lastDue)
            if let rate = effects.bytesPerSecond {
                due = due + .nanoseconds(Int64(slice.readableBytes) * 1_000_000_000 / Int64(rate))
            }
            lastDue = due
            queue.append(Pending(buffer: slice, due: due))
            queuedBytes += slice.readableBytes
        }
        scheduleDrain()
        updateReading()
    }

    private func scheduleDrain() {
        guard drainTimer == nil, let head = queue.first else { return }
        drainTimer = source.eventLoop.assumeIsolated().scheduleTask(deadline: head.due) { [self] in
            drainTimer = nil
            drainDue()
        }
    }

    private func drainDue() {
        let now = NIODeadline.now()
        while let head = queue.first, head.due <= now {
            queue.removeFirst()
            queuedBytes -= head.buffer.readableBytes
            write(head.buffer)
        }
        flushIfNeeded()
        scheduleDrain()
        updateReading()
        finishIfDrained()
    }

    // MARK: - Writing and closing

    private func write(_ buffer: ByteBuffer) {
        let count = buffer.readableBytes
        lastWrite = destination.write(buffer)
        needsFlush = true
        onForwarded(count)
    }

    private func flushIfNeeded() {
        guard needsFlush else { return }
        needsFlush = false
        destination.flush()
    }

    private func finishIfDrained() {
        guard sourceEnded, queue.isEmpty, !isFinished else { return }
        isFinished = true
        flushIfNeeded()
        let destination = self.destination
        let closeAfterWrites = { (lastWrite: EventLoopFuture<Void>?) in
            // Close only once what we wrote is on the wire; close() would discard pending writes.
            if let lastWrite {
                lastWrite.whenComplete { _ in destination.close(promise: nil) }
            } else {
                destination.close(promise: nil)
            }
        }
        if effects.slowClose > .zero {
            let lastWrite = self.lastWrite
            source.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(effects.slowClose)) {
                closeAfterWrites(lastWrite)
            }
        } else {
            closeAfterWrites(lastWrite)
        }
    }
}

extension Duration {
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
