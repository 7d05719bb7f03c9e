/// A 64-bit hash that is the same in every process and on every run (Swift's `Hasher` is seeded per
/// process): FNV-1a over the bytes, then the SplitMix64 finalizer so that inputs differing in one
/// character differ in about half the bits. Not cryptographic; spread evenly, which is what Bloom
/// filters, short codes and shard choices need.
public enum StableHash {
    public static func hash64(_ text: String, seed: UInt64 = 0) -> UInt64 {
        var fnv: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for byte in text.utf8 {
            fnv ^= UInt64(byte)
            fnv &*= 0x100_0000_01b3
        }
        return mix(fnv)
    }

    /// The SplitMix64 finalizer (Steele, Lea, Flood 2014).
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
