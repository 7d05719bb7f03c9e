import LabKit

/// Short codes made from a hash of the long URL, truncated to `bits` bits and written in base62.
///
/// Truncation is what makes codes short, and what makes them collide: `bits` bits give 2^bits codes,
/// and n URLs hashed into them give about n² / (2 · 2^bits) colliding pairs (the birthday bound),
/// long before the codes run out. 24 bits (≈ 16.8 million codes) and 100,000 URLs: ≈ 298 pairs.
struct ShortCodes: Sendable {
    /// Bits of the hash kept (1...64).
    let bits: Int

    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// How many different codes there are: 2^bits.
    var space: Double { Double(sign: .plus, exponent: bits, significand: 1) }

    /// Characters every code has: enough base62 digits for 2^bits values (24 bits → 5).
    var length: Int {
        var count = 1
        var reach: Double = 62
        while reach < space {
            count += 1
            reach *= 62
        }
        return count
    }

    /// The code of `url` at `attempt`: attempt 0 is the URL's own hash; a re-key (attempt 1, 2, …)
    /// hashes it again with the attempt as the seed, which lands on an unrelated code.
    func code(for url: String, attempt: Int = 0) -> String {
        let hash = StableHash.hash64(url, seed: UInt64(attempt))
        var value = bits >= 64 ? hash : hash >> UInt64(64 - bits)
        var digits = [UInt8](repeating: Self.alphabet[0], count: length)
        for index in digits.indices.reversed() {
            digits[index] = Self.alphabet[Int(value % 62)]
            value /= 62
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// Whether `text` could be a code of this width (the redirect refuses anything else with a 400).
    func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == length && text.utf8.allSatisfy { Self.alphabet.contains($0) }
    }
}
