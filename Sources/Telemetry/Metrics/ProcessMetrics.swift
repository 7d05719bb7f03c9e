#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The standard `process_*` metrics every Prometheus client exports, read from `/proc` at scrape time
/// (so they cost nothing between scrapes). Linux only; elsewhere the collector returns nothing.
///
/// - `process_cpu_seconds_total`      user + system CPU time (`/proc/self/stat` utime+stime ÷ CLK_TCK)
/// - `process_resident_memory_bytes`  resident set size (rss pages × page size)
/// - `process_virtual_memory_bytes`   virtual memory size (vsize)
/// - `process_start_time_seconds`     boot time (`/proc/stat` btime) + starttime ÷ CLK_TCK
/// - `process_open_fds`, `process_max_fds`  entries of `/proc/self/fd`; the RLIMIT_NOFILE soft limit
public enum ProcessMetrics {
    public static func collect() -> [MetricFamilySnapshot] {
        #if os(Linux)
        var families: [MetricFamilySnapshot] = []
        func add(_ name: String, _ type: MetricType, _ help: String, _ value: Double) {
            let v: SeriesSnapshot.Value = type == .counter ? .counter(value) : .gauge(value)
            families.append(MetricFamilySnapshot(name: name, type: type, help: help, series: [SeriesSnapshot(labels: [], value: v)]))
        }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        if let stat = readStat(), ticks > 0 {
            add(
                "process_cpu_seconds", .counter, "Total user and system CPU time spent in seconds.",
                Double(stat.utime + stat.stime) / ticks)
            add(
                "process_resident_memory_bytes", .gauge, "Resident memory size in bytes.",
                Double(stat.rssPages) * Double(sysconf(Int32(_SC_PAGESIZE))))
            add("process_virtual_memory_bytes", .gauge, "Virtual memory size in bytes.", Double(stat.vsize))
            if let boot = bootTime() {
                add(
                    "process_start_time_seconds", .gauge, "Start time of the process since unix epoch in seconds.",
                    Double(boot) + Double(stat.starttime) / ticks)
            }
        }
        if let open = openFileDescriptors() {
            add("process_open_fds", .gauge, "Number of open file descriptors.", Double(open))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            add("process_max_fds", .gauge, "Maximum number of open file descriptors.", Double(limit.rlim_cur))
        }
        return families
        #else
        return []
        #endif
    }

    #if os(Linux)
    struct Stat {
        var utime: UInt64, stime: UInt64, starttime: UInt64, vsize: UInt64, rssPages: UInt64
    }

    /// Parses `/proc/self/stat`. The command name (field 2) is in parentheses and may itself contain
    /// spaces or `)`, so fields are counted from the LAST `)`.
    static func readStat() -> Stat? {
        guard let text = readProcFile("/proc/self/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field n is fields[n - 3].
        func field(_ n: Int) -> UInt64? { fields.count > n - 3 ? UInt64(fields[n - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23),
            let rss = field(24)
        else { return nil }
        return Stat(utime: utime, stime: stime, starttime: start, vsize: vsize, rssPages: rss)
    }

    /// `btime` from `/proc/stat`: when the machine booted, in Unix seconds.
    static func bootTime() -> UInt64? {
        guard let text = readProcFile("/proc/stat") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return UInt64(line.dropFirst(6).trimmingPrefix(" "))
        }
        return nil
    }

    /// Entries of `/proc/self/fd`, not counting the descriptor used to list them.
    static func openFileDescriptors() -> Int? {
        guard let dir = opendir("/proc/self/fd") else { return nil }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                raw[0] == UInt8(ascii: ".") && (raw[1] == 0 || (raw[1] == UInt8(ascii: ".") && raw[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return max(count - 1, 0)
    }

    /// Reads a whole /proc file (their size reads as 0, so read until EOF).
    static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
    #endif
}

extension MetricsRegistry {
    /// Adds the `process_*` metrics (collected from /proc at each scrape).
    public func registerProcessMetrics() {
        addCollector { ProcessMetrics.collect() }
    }
}
