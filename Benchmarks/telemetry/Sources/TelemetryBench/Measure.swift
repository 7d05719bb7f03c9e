import CMallocCounter

#if canImport(Glibc)
import Glibc
#endif

/// CPU time used so far by every thread of the process (the span benchmarks include the exporter's
/// background thread, where batches are encoded).
func processCPUTime() -> Duration {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return .seconds(t.tv_sec) + .nanoseconds(t.tv_nsec)
}

/// What one run of a workload cost.
struct Sample {
    var cpu: Duration
    var wall: Duration
    /// Heap allocations (process-wide), or nil when the run was not counted.
    var allocations: UInt64?
}

/// Runs `body` once and measures it. Allocation counting costs an atomic add per malloc, so it is only
/// switched on when asked (the timed runs leave it off).
func measure(countAllocations: Bool = false, _ body: () async throws -> Void) async rethrows -> Sample {
    let before = malloc_counter_allocations()
    if countAllocations { malloc_counter_set_enabled(1) }
    let clock = ContinuousClock()
    let startCPU = processCPUTime()
    let start = clock.now
    try await body()
    let wall = start.duration(to: clock.now)
    let cpu = processCPUTime() - startCPU
    if countAllocations { malloc_counter_set_enabled(0) }
    return Sample(cpu: cpu, wall: wall, allocations: countAllocations ? malloc_counter_allocations() - before : nil)
}

/// `runs` timed samples plus one counted sample (after a warm-up), summarised by their medians.
struct Summary {
    var cpu: Duration
    var wall: Duration
    var allocations: UInt64
    var runs: Int
}

func benchmark(runs: Int, warmUp: Bool = true, _ body: () async throws -> Void) async rethrows -> Summary {
    if warmUp { _ = try await measure(body) }
    var samples: [Sample] = []
    for _ in 0..<runs { samples.append(try await measure(body)) }
    let counted = try await measure(countAllocations: true, body)
    return Summary(cpu: median(samples.map(\.cpu)), wall: median(samples.map(\.wall)), allocations: counted.allocations ?? 0, runs: runs)
}

func median<T: Comparable>(_ values: [T]) -> T {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

extension Duration {
    var nanoseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }
    var seconds: Double { nanoseconds / 1e9 }
}

/// Resident memory figures from /proc/self/status, in bytes.
enum ResidentMemory {
    /// VmHWM: the peak resident set size since start (or since `resetPeak()`).
    static var peak: Int { field("VmHWM:") }
    /// VmRSS: the resident set size now.
    static var current: Int { field("VmRSS:") }

    /// Resets VmHWM to the current RSS (Linux: writing 5 to /proc/self/clear_refs).
    static func resetPeak() {
        guard let f = fopen("/proc/self/clear_refs", "w") else { return }
        fputs("5", f)
        fclose(f)
    }

    private static func field(_ name: String) -> Int {
        guard let f = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(cString: line)
            if text.hasPrefix(name) {
                let kilobytes =
                    text.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Int($0) }
                    ?? 0
                return kilobytes * 1024
            }
        }
        return 0
    }
}

/// Bytes currently allocated on the glibc heap (mallinfo2's `uordblks`), to size data structures.
func heapInUse() -> Int { Int(malloc_counter_heap_in_use()) }
