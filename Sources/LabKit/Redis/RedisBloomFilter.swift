import Foundation

/// A Bloom filter's shape: m bits, k hash functions. It answers "definitely not added" or "maybe
/// added"; after n additions a value never added reads "maybe" with probability (1 - e^(-kn/m))^k.
public struct BloomFilterParameters: Sendable, Hashable {
    /// m: the bitmap's size in bits.
    public let bits: Int
    /// k: bits set (and probed) per element.
    public let hashes: Int

    public init(bits: Int, hashes: Int) {
        precondition(bits > 0 && hashes > 0, "a Bloom filter needs bits > 0 and hashes > 0")
        self.bits = bits
        self.hashes = hashes
    }

    /// The false-positive rate expected after `count` distinct additions: (1 - e^(-k·n/m))^k.
    public func expectedFalsePositiveRate(afterAdding count: Int) -> Double {
        pow(1 - exp(-Double(hashes) * Double(count) / Double(bits)), Double(hashes))
    }

    /// The k bit offsets of an element: double hashing (Kirsch & Mitzenmacher, 2006), g_i = h1 + i·h2
    /// mod m, with h1 and h2 two `StableHash` values of its bytes.
    public func offsets(of element: String) -> [Int] {
        let h1 = StableHash.hash64(element)
        let h2 = StableHash.mix(h1 ^ 0x5851_f42d_4c95_7f2d) | 1
        let m = UInt64(bits)
        return (0..<hashes).map { i in Int((h1 &+ UInt64(i) &* h2) % m) }
    }

    /// The bitmap of `elements` as Redis stores a string it sets bits in (bit 0 is the most significant
    /// bit of byte 0), to write with one SET instead of k·n SETBITs: how a filter is (re)built from a
    /// table scan.
    public func bitmap<Elements: Sequence>(of elements: Elements) -> [UInt8] where Elements.Element == String {
        var bytes = [UInt8](repeating: 0, count: (bits + 7) / 8)
        for element in elements {
            for offset in offsets(of: element) {
                bytes[offset >> 3] |= 0x80 >> UInt8(offset & 7)
            }
        }
        return bytes
    }
}

/// A Bloom filter in a Redis bitmap: k bits per element set with one BITFIELD, probed with one
/// BITFIELD_RO — one round trip either way, and every replica of a service shares the same filter.
public struct RedisBloomFilter: Sendable {
    public let redis: RedisClient
    public let key: String
    public let parameters: BloomFilterParameters

    public init(redis: RedisClient, key: String, parameters: BloomFilterParameters) {
        self.redis = redis
        self.key = key
        self.parameters = parameters
    }

    /// Sets the element's k bits; true when at least one was 0 (the element was surely not in yet).
    @discardableResult
    public func add(_ element: String) async throws -> Bool {
        try await redis.setbits(key, offsets: parameters.offsets(of: element)).contains(false)
    }

    /// False: the element was never added. True: it probably was (or it is a false positive).
    public func mightContain(_ element: String) async throws -> Bool {
        try await redis.getbits(key, offsets: parameters.offsets(of: element)).allSatisfy { $0 }
    }

    /// `mightContain` for many elements, pipelined (`batchSize` probes per round trip), in order.
    public func mightContain(_ elements: [String], batchSize: Int = 500) async throws -> [Bool] {
        var answers: [Bool] = []
        answers.reserveCapacity(elements.count)
        for start in stride(from: 0, to: elements.count, by: max(1, batchSize)) {
            let batch = elements[start..<min(start + max(1, batchSize), elements.count)]
            let replies = try await redis.pipeline(
                batch.map { element in
                    ["BITFIELD_RO", RedisArgument(key)]
                        + parameters.offsets(of: element).flatMap { ["GET", "u1", RedisArgument($0)] as [RedisArgument] }
                })
            for reply in replies {
                guard let bits = reply.array else { throw RedisError.unexpected(reply, from: "BITFIELD_RO", expected: "an array") }
                answers.append(bits.allSatisfy { $0 == .integer(1) })
            }
        }
        return answers
    }

    /// Replaces the filter with a bitmap built elsewhere (`BloomFilterParameters.bitmap(of:)`).
    public func replace(with bitmap: [UInt8]) async throws {
        guard bitmap.count == (parameters.bits + 7) / 8 else {
            throw RedisError.invalidArgument("a bitmap of \(bitmap.count) bytes does not fit a filter of \(parameters.bits) bits")
        }
        try await redis.set(key, to: .bytes(bitmap))
    }
}
