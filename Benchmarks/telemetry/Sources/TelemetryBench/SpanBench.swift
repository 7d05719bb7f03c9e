/// Section 1: CPU time and heap allocations per span — start, 4 attributes, end, and its share of the
/// batch export (conversion + protobuf encoding on the exporter's thread) — ours vs swift-otel.
enum SpanBench {
  /// - Parameter only: "ours" or "swift-otel" to run one side alone (for profiling with perf).
  static func run(runs: Int, spansPerRun: Int, only: String? = nil) async -> (
    Table, ours: Double, theirs: Double
  ) {
    var table = Table(
      title:
        "1. Per span: start + 4 attributes + end + batch encode (\(grouped(spansPerRun)) spans per run, median of \(runs))",
      columns: [
        "tracer", "CPU ns / span", "wall ns / span", "allocs / span", "encoded bytes / span",
      ])

    var oursPerSpan = Double.nan
    var theirsPerSpan = Double.nan
    if only == nil || only == "ours" {
      let ours = OursPipeline(queueSize: spansPerRun)
      let oursResult = await measure(ours, runs: runs, spansPerRun: spansPerRun)
      precondition(
        ours.dropped == 0, "our processor dropped spans; the figures would be flattering")
      table.add(
        ours.name, oursResult.cpu, oursResult.wall, oursResult.allocs,
        fixed(Double(ours.transport.bodyBytes) / Double(oursResult.total), 0))
      await ours.shutdown()
      oursPerSpan = oursResult.cpuNanoseconds
    }
    if only == nil || only == "swift-otel" {

      let theirs = SwiftOTelPipeline(queueSize: spansPerRun)
      let theirResult = await measure(theirs, runs: runs, spansPerRun: spansPerRun)
      table.add(
        theirs.name, theirResult.cpu, theirResult.wall, theirResult.allocs,
        fixed(Double(theirs.exporter.bodyBytes) / Double(theirResult.total), 0))
      await theirs.shutdown()
      theirsPerSpan = theirResult.cpuNanoseconds
    }
    return (table, oursPerSpan, theirsPerSpan)
  }

  private static func measure<P: SpanPipeline>(_ pipeline: P, runs: Int, spansPerRun: Int) async
    -> (cpu: String, wall: String, allocs: String, total: Int, cpuNanoseconds: Double)
  {
    var total = 0
    let summary = await benchmark(runs: runs) {
      makeSpans(spansPerRun, with: pipeline.tracer)
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
