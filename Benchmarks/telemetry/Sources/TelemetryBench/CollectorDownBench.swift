import CMallocCounter
import Telemetry

#if canImport(Glibc)
import Glibc
#endif

/// Section 4: the collector is down (a closed loopback port, connections refused) while a service
/// ends `rate` spans per second for `duration`. The exporter retries each batch with backoff, the
/// bounded queue drops what does not fit, and memory must stay flat: baseline plus at most the
/// queue (`maxQueueSize`) and one batch in flight.
enum CollectorDownBench {
    struct Result {
        var tables: [Table]
        var bounded: Bool
    }

    static func run(duration: Duration, rate: Int, retryConnections: Bool = false) async -> Result {
        let batch = BatchConfiguration() // the defaults a service gets: queue 2048, batch 512, 5 s, 30 s timeout
        let bytesPerQueuedSpan = bytesPerFinishedSpan()
        let queueBound = (batch.maxQueueSize + batch.maxExportBatchSize) * bytesPerQueuedSpan

        let port = closedLoopbackPort()
        let configuration = TelemetryConfiguration(
            serviceName: "bench", tracesEndpoint: "http://127.0.0.1:\(port)/v1/traces", sampler: AlwaysOnSampler(), batch: batch)
        let transport = AsyncHTTPClientTransport(retryConnections: retryConnections)
        let handle = TracingSystem.makeTracer(configuration: configuration, transport: transport)
        let processor = handle.tracer.processor as! BatchSpanProcessor

        // Give freed memory of earlier sections back to the kernel, then measure from here.
        malloc_counter_trim()
        ResidentMemory.resetPeak()
        let baseline = ResidentMemory.current

        var timeline = Table(
            title: "4a. Collector down: resident memory over time",
            columns: ["t (s)", "spans ended", "queued", "dropped", "POST attempts", "RSS"])
        let clock = ContinuousClock()
        let start = clock.now
        let tick = Duration.milliseconds(10)
        let reportEvery = max(1, Int((duration / 6).seconds.rounded())) // six rows whatever the duration
        var made = 0
        var sampledPeak = baseline
        var ticks = 0
        var nextReport = reportEvery
        var next = start
        while true {
            next += tick
            try? await Task.sleep(until: next, clock: clock)
            let elapsed = start.duration(to: clock.now)
            // Open loop: catch up with the schedule if a tick came late.
            let due = min(Int(elapsed.seconds * Double(rate)), Int(duration.seconds * Double(rate)))
            if due > made {
                makeSpans(due - made, with: handle.tracer)
                made = due
            }
            ticks += 1
            if ticks % 10 == 0 { sampledPeak = max(sampledPeak, ResidentMemory.current) }
            if elapsed.seconds >= Double(nextReport) || elapsed >= duration {
                let s = processor.statistics
                timeline.add(
                    fixed(elapsed.seconds, 0), grouped(made), grouped(processor.queuedCount), grouped(s.droppedSpans),
                    grouped(transport.attempts), megabytes(ResidentMemory.current))
                nextReport += reportEvery
            }
            if elapsed >= duration { break }
        }
        // The kernel updates VmHWM lazily, so it can trail a sampled VmRSS: take the larger.
        let peak = max(ResidentMemory.peak, sampledPeak, ResidentMemory.current)
        let during = processor.statistics
        let duringAttempts = transport.attempts

        let shutdownStart = clock.now
        await handle.shutdown()
        let shutdownTime = shutdownStart.duration(to: clock.now)
        let final = processor.statistics

        let growth = peak - baseline
        let bounded = growth <= queueBound + 8 * 1_048_576 // slack: HTTP client buffers, allocator granularity
        var summary = Table(
            title:
                "4b. Collector down for \(fixed(duration.seconds, 0)) s at \(grouped(rate)) spans/s (closed loopback port, \(retryConnections ? "AsyncHTTPClient's default connection retries" : "LabHTTPClient's settings"))",
            columns: ["figure", "value"])
        summary.add("spans ended", grouped(made))
        summary.add("exported", grouped(final.exportedSpans))
        summary.add("dropped: queue full", grouped(final.droppedQueueFull))
        summary.add("dropped: export failed (all retries spent)", grouped(final.droppedExportFailed))
        summary.add("dropped in total (spans ended − exported)", grouped(final.droppedSpans))
        summary.add("unaccounted (ended − exported − dropped)", grouped(made - final.exportedSpans - final.droppedSpans))
        summary.add(
            "POST attempts (refused) / batches given up during the run", "\(grouped(duringAttempts)) / \(grouped(during.exportFailures))")
        summary.add("baseline RSS (before the load)", megabytes(baseline))
        summary.add("peak RSS (max of VmHWM and VmRSS sampled every 100 ms)", megabytes(peak))
        summary.add("growth", megabytes(growth))
        summary.add("queue bound: (2048 + 512) spans × \(grouped(bytesPerQueuedSpan)) B", megabytes(queueBound))
        summary.add("shutdown with the collector down", fixed(shutdownTime.seconds, 2) + " s")
        summary.add("crashes", "0")
        summary.add("verdict", bounded ? "bounded (growth ≤ queue bound + 8 MiB)" : "NOT bounded")
        return Result(tables: [timeline, summary], bounded: bounded)
    }

    /// Heap bytes one finished span (start + 4 attributes + end, in its OTLP form) takes while it
    /// waits in a queue: measured by keeping 4,096 of them in an in-memory processor.
    static func bytesPerFinishedSpan() -> Int {
        let count = 4096
        let processor = InMemorySpanProcessor()
        let tracer = TelemetryTracer(sampler: AlwaysOnSampler(), processor: processor)
        let before = heapInUse()
        makeSpans(count, with: tracer)
        let after = heapInUse()
        precondition(processor.finishedSpans.count == count)
        return max(0, after - before) / count
    }
}
