/// What a scrape sees: plain values copied out of the live series. The exposition writers format
/// snapshots only, so collecting (locks, atomics, /proc) and formatting (text) stay separate.
public enum MetricType: String, Sendable, Hashable {
    case counter, gauge, histogram
}

/// One labelled series of a family at scrape time.
public struct SeriesSnapshot: Sendable, Equatable {
    /// Sanitised label names with their raw values, in the order they were declared.
    public var labels: [(name: String, value: String)]
    public var value: Value

    public enum Value: Sendable, Equatable {
        case counter(Double)
        case gauge(Double)
        case histogram(HistogramSnapshot)
    }

    public init(labels: [(name: String, value: String)], value: Value) {
        self.labels = labels
        self.value = value
    }

    public static func == (a: SeriesSnapshot, b: SeriesSnapshot) -> Bool {
        a.value == b.value && a.labels.elementsEqual(b.labels) { $0.name == $1.name && $0.value == $1.value }
    }
}

/// A histogram's cumulative buckets. `buckets` excludes `+Inf`; its count is `count`.
public struct HistogramSnapshot: Sendable, Equatable {
    public struct Bucket: Sendable, Equatable {
        public var upperBound: Double
        /// Observations `<= upperBound` (cumulative).
        public var cumulativeCount: UInt64
        public var exemplar: Exemplar?
    }

    public var buckets: [Bucket]
    /// The exemplar of the implicit `+Inf` bucket (observations above the last bound).
    public var infExemplar: Exemplar?
    public var count: UInt64
    public var sum: Double
}

/// The latest observation of a bucket made inside a sampled span: the link from a latency bucket to a trace.
public struct Exemplar: Sendable, Equatable {
    public var traceID: String
    public var spanID: String
    public var value: Double
    /// Unix time in seconds.
    public var timestamp: Double

    public init(traceID: String, spanID: String, value: Double, timestamp: Double) {
        self.traceID = traceID
        self.spanID = spanID
        self.value = value
        self.timestamp = timestamp
    }
}

/// One metric family at scrape time: a name, one type, HELP text and its series.
public struct MetricFamilySnapshot: Sendable, Equatable {
    /// The sanitised family name. For counters this is the name WITHOUT `_total`; writers add it.
    public var name: String
    public var type: MetricType
    public var help: String
    public var series: [SeriesSnapshot]

    public init(name: String, type: MetricType, help: String, series: [SeriesSnapshot]) {
        self.name = name
        self.type = type
        self.help = help
        self.series = series
    }
}
