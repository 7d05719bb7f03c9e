/// A Snowflake id: 63 bits in a signed 64-bit integer (always positive), most significant first:
///
///     | 41 bits: milliseconds since 2026-01-01 UTC | 10 bits: worker id | 12 bits: sequence |
///
/// 2^41 ms is 69 years; 1024 worker ids; 4096 ids per worker per millisecond. Two ids are equal
/// exactly when all three parts are: so a generator may hand out an id only if no other process
/// uses its worker id, and only for a (millisecond, sequence) it has not used before.
struct SnowflakeId: Hashable, Sendable, CustomStringConvertible {
    /// 2026-01-01T00:00:00Z in Unix milliseconds: the ids' time 0.
    static let epochUnixMs: Int64 = 1_767_225_600_000
    static let workerBits = 10
    static let sequenceBits = 12
    static let workerIds = 1 << workerBits // 1024
    static let sequencesPerMillisecond = 1 << sequenceBits // 4096

    let raw: Int64

    init(raw: Int64) { self.raw = raw }

    /// `ms`: milliseconds since the epoch above; `worker` in 0..<1024; `sequence` in 0..<4096.
    init(ms: Int64, worker: Int, sequence: Int) {
        raw = ms << Int64(Self.workerBits + Self.sequenceBits) | Int64(worker) << Int64(Self.sequenceBits) | Int64(sequence)
    }

    var ms: Int64 { raw >> Int64(Self.workerBits + Self.sequenceBits) }
    var worker: Int { Int(raw >> Int64(Self.sequenceBits)) & (Self.workerIds - 1) }
    var sequence: Int { Int(raw) & (Self.sequencesPerMillisecond - 1) }
    var unixMs: Int64 { ms + Self.epochUnixMs }

    var description: String { "\(raw) (ms \(ms), worker \(worker), sequence \(sequence))" }
}
