import Synchronization

/// Where the tracer gets trace and span ids.
///
/// `SystemRandomNumberGenerator` is a system call on Linux (`getrandom`), several hundred nanoseconds
/// per draw — more than the rest of a span costs. Ids need to be unique and unpredictable enough to
/// not collide, not secret, so (like the OpenTelemetry SDKs) we seed a fast generator once from the
/// system one and draw from it under an uncontended lock: three draws per span cost a few nanoseconds.
final class IDGenerator: Sendable {
    private let state: Mutex<Xoshiro256StarStar>

    init(seed: UInt64? = nil) {
        var system = SystemRandomNumberGenerator()
        state = Mutex(Xoshiro256StarStar(seed: seed ?? system.next()))
    }

    /// A new trace id (when `existing` is nil) and a new span id, in one lock round trip.
    func ids(traceID existing: TraceID?) -> (TraceID, SpanID) {
        state.withLock { rng in
            (existing ?? TraceID.random(using: &rng), SpanID.random(using: &rng))
        }
    }
}

/// xoshiro256** (Blackman and Vigna, https://prng.di.unimi.it): 256 bits of state, period 2^256 − 1,
/// passes BigCrush. Seeded through SplitMix64 as its authors recommend, so the state is never all zero.
struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = next()
        s1 = next()
        s2 = next()
        s3 = next()
    }

    mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
