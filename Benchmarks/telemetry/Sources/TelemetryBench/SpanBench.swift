import Tracing

/// Section 1: CPU time and heap allocations per span — start, 4 attributes, end, and its share of the
/// batch export (conversion + protobuf encoding on the exporter's thread) — ours vs swift-otel.
enum SpanBench {
    /// - Parameter only: "ours" or "swift-otel" to run one side alone (for profiling with perf).
    static func run(runs: Int, spansPerRun: Int, only: String? = nil) async -> (Table, ours: Double, theirs: Double) {
        var table = Table(
            title: "1. Per span: start + 4 attributes + end + batch encode (\(grouped(spansPerRun)) spans per run, median of \(runs))",
            columns: ["tracer", "CPU ns / span", "wall ns / span", "allocs / span", "encoded bytes / span"])

        var oursPerSpan = Double.nan
        var theirsPerSpan = Double.nan
        if only == nil || only == "ours" {
            let ours = OursPipeline(queueSize: spansPerRun)
            let result = await measure(ours, runs: runs, spansPerRun: spansPerRun)
            precondition(ours.dropped == 0, "our processor dropped spans; the figures would be flattering")
            table.add(ours.name, result.cpu, result.wall, result.allocs, fixed(Double(ours.transport.bodyBytes) / Double(result.total), 0))
            await ours.shutdown()
            oursPerSpan = result.cpuNanoseconds

            let compact = OursPipeline(queueSize: spansPerRun)
            let compactResult = await measure(compact, runs: runs, spansPerRun: spansPerRun, workload: makeServerSpans)
            precondition(compact.dropped == 0, "our processor dropped spans; the figures would be flattering")
            table.add(
                "ours, HTTP attributes in fields", compactResult.cpu, compactResult.wall, compactResult.allocs,
                fixed(Double(compact.transport.bodyBytes) / Double(compactResult.total), 0))
            await compact.shutdown()
        }
        if only == nil || only == "swift-otel" {
            let theirs = SwiftOTelPipeline(queueSize: spansPerRun)
            let result = await measure(theirs, runs: runs, spansPerRun: spansPerRun)
            table.add(
                theirs.name, result.cpu, result.wall, result.allocs, fixed(Double(theirs.exporter.bodyBytes) / Double(result.total), 0))
            await theirs.shutdown()
            theirsPerSpan = result.cpuNanoseconds
        }
        // What this machine charges for two things every span of either tracer does.
        let floor = machineFloor()
        table.add("floor: 3 × SystemRandomNumberGenerator.next() (ids)", fixed(floor.ids, 0), "", "", "")
        table.add("floor: SpanAttributes with the same 4 entries", fixed(floor.attributes, 0), "", "", "")
        return (table, oursPerSpan, theirsPerSpan)
    }

    /// Both tracers draw ids from `SystemRandomNumberGenerator` (on Linux a getrandom(2) call per 8
    /// bytes: two for a trace id, one for a span id) and keep attributes in the facade's
    /// `SpanAttributes` dictionary.
    static func machineFloor() -> (ids: Double, attributes: Double) {
        let n = 100_000
        var generator = SystemRandomNumberGenerator()
        var sink: UInt64 = 0
        let idsStart = processCPUTime()
        for _ in 0..<n { sink &+= generator.next() &+ generator.next() &+ generator.next() }
        let ids = (processCPUTime() - idsStart).nanoseconds / Double(n)
        let attributesStart = processCPUTime()
        for i in 0..<n {
            var attributes = SpanAttributes()
            attributes["http.request.method"] = "GET"
            attributes["http.route"] = "/items/{id}"
            attributes["http.response.status_code"] = i
            attributes["server.address"] = "localhost"
            sink &+= UInt64(attributes.count)
        }
        let attributes = (processCPUTime() - attributesStart).nanoseconds / Double(n)
        precondition(sink != 0)
        return (ids, attributes)
    }

    private static func measure<P: SpanPipeline>(
        _ pipeline: P, runs: Int, spansPerRun: Int, workload: (Int, P.T) -> Void = makeSpans
    ) async -> (cpu: String, wall: String, allocs: String, total: Int, cpuNanoseconds: Double) {
        var total = 0
        let summary = await benchmark(runs: runs) {
            workload(spansPerRun, pipeline.tracer)
            total += spansPerRun
            let encoded = await pipeline.drain(expecting: total)
            precondition(encoded == total, "\(pipeline.name): \(encoded) of \(total) spans encoded")
        }
        let perSpan = summary.cpu.nanoseconds / Double(spansPerRun)
        return (
            fixed(perSpan, 0), fixed(summary.wall.nanoseconds / Double(spansPerRun), 0),
            fixed(Double(summary.allocations) / Double(spansPerRun), 1), total, perSpan
        )
    }
}
