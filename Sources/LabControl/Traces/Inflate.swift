import LabKit

/// A small DEFLATE decoder (RFC 1951) with the gzip (RFC 1952) and zlib (RFC 1950) wrappers, so the
/// receiver accepts `Content-Encoding: gzip` — what OpenTelemetry SDKs send with
/// `OTEL_EXPORTER_OTLP_COMPRESSION=gzip` — without linking zlib.
///
/// It follows Mark Adler's `puff.c`: canonical Huffman codes decoded one bit at a time. That is slow
/// next to zlib but simple enough to read in one sitting, and request bodies are small. The output
/// is capped (`maxOutput`) so a small "zip bomb" cannot exhaust memory.
public enum Inflate {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case tooLarge(limit: Int)

        public var description: String {
            switch self {
            case .malformed(let why): return "malformed compressed body: \(why)"
            case .tooLarge(let limit): return "decompressed body exceeds \(limit) bytes"
            }
        }
    }

    /// Decodes a gzip stream (one or more members), checking each member's CRC-32 and length.
    public static func gunzip(_ data: [UInt8], maxOutput: Int) throws(Failure) -> [UInt8] {
        var output: [UInt8] = []
        var pos = 0
        repeat {
            let memberStart = output.count
            pos = try skipGzipHeader(data, at: pos)
            var inflater = Inflater(input: data, position: pos, output: output, maxOutput: maxOutput)
            try inflater.run()
            output = inflater.output
            pos = inflater.position
            guard data.count - pos >= 8 else { throw .malformed("gzip trailer missing") }
            let crc = littleEndian32(data, pos)
            let size = littleEndian32(data, pos + 4)
            pos += 8
            guard CRC32.checksum(output[memberStart...]) == crc else { throw .malformed("gzip CRC-32 mismatch") }
            guard UInt32(truncatingIfNeeded: output.count - memberStart) == size else { throw .malformed("gzip length mismatch") }
        } while pos < data.count
        return output
    }

    /// Decodes a zlib stream (`Content-Encoding: deflate` as HTTP defines it).
    public static func zlibInflate(_ data: [UInt8], maxOutput: Int) throws(Failure) -> [UInt8] {
        guard data.count >= 6 else { throw .malformed("zlib stream too short") }
        let cmf = Int(data[0])
        let flg = Int(data[1])
        guard cmf & 0x0F == 8, (cmf << 8 | flg) % 31 == 0 else { throw .malformed("bad zlib header") }
        guard flg & 0x20 == 0 else { throw .malformed("zlib preset dictionaries are not supported") }
        var inflater = Inflater(input: data, position: 2, output: [], maxOutput: maxOutput)
        try inflater.run()
        let pos = inflater.position
        guard data.count - pos >= 4 else { throw .malformed("zlib trailer missing") }
        let expected = UInt32(data[pos]) << 24 | UInt32(data[pos + 1]) << 16 | UInt32(data[pos + 2]) << 8 | UInt32(data[pos + 3])
        guard adler32(inflater.output) == expected else { throw .malformed("zlib Adler-32 mismatch") }
        return inflater.output
    }

    private static func skipGzipHeader(_ d: [UInt8], at start: Int) throws(Failure) -> Int {
        guard d.count - start >= 10, d[start] == 0x1F, d[start + 1] == 0x8B else { throw .malformed("not a gzip stream") }
        guard d[start + 2] == 8 else { throw .malformed("gzip compression method \(d[start + 2]) is not deflate") }
        let flags = d[start + 3]
        var pos = start + 10
        if flags & 0x04 != 0 { // FEXTRA
            guard d.count - pos >= 2 else { throw .malformed("gzip header cut short") }
            pos += 2 + (Int(d[pos]) | Int(d[pos + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 { // FNAME, FCOMMENT: zero-terminated
            while pos < d.count, d[pos] != 0 { pos += 1 }
            pos += 1
        }
        if flags & 0x02 != 0 { pos += 2 } // FHCRC
        guard pos <= d.count else { throw .malformed("gzip header cut short") }
        return pos
    }

    private static func littleEndian32(_ d: [UInt8], _ i: Int) -> UInt32 {
        UInt32(d[i]) | UInt32(d[i + 1]) << 8 | UInt32(d[i + 2]) << 16 | UInt32(d[i + 3]) << 24
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }
}

/// A canonical Huffman code: how many codes have each bit length, and the symbols in code order.
private struct Huffman {
    var counts = [Int](repeating: 0, count: 16)
    var symbols: [Int]

    /// Builds the code from per-symbol bit lengths; an over-subscribed set of lengths is invalid.
    init(lengths: ArraySlice<Int>) throws(Inflate.Failure) {
        symbols = [Int](repeating: 0, count: lengths.count)
        for l in lengths { counts[l] += 1 }
        var left = 1
        for len in 1..<16 {
            left = left << 1 - counts[len]
            guard left >= 0 else { throw .malformed("over-subscribed Huffman code") }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
        for (symbol, len) in lengths.enumerated() where len != 0 {
            symbols[offsets[len]] = symbol
            offsets[len] += 1
        }
    }
}

private struct Inflater {
    let input: [UInt8]
    var position: Int
    var output: [UInt8]
    let maxOutput: Int
    private var bitBuffer: UInt64 = 0
    private var bitCount = 0

    init(input: [UInt8], position: Int, output: [UInt8], maxOutput: Int) {
        self.input = input
        self.position = position
        self.output = output
        self.maxOutput = maxOutput
    }

    private static let lengthBase = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
    ]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
        4097, 6145, 8193, 12289, 16385, 24577,
    ]
    private static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    /// The order in which code-length code lengths are sent (RFC 1951 §3.2.7).
    private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// Inflates blocks until the final one; `position` is then the first byte after the stream.
    mutating func run() throws(Inflate.Failure) {
        var last = false
        while !last {
            last = try bits(1) == 1
            switch try bits(2) {
            case 0: try stored()
            case 1: try fixed()
            case 2: try dynamic()
            default: throw .malformed("invalid block type 3")
            }
        }
        // Unused bits of the last byte are padding; whole unused bytes were never consumed.
        bitBuffer = 0
        bitCount = 0
    }

    private mutating func bits(_ need: Int) throws(Inflate.Failure) -> Int {
        while bitCount < need {
            guard position < input.count else { throw .malformed("compressed data ends early") }
            bitBuffer |= UInt64(input[position]) << UInt64(bitCount)
            position += 1
            bitCount += 8
        }
        let value = Int(bitBuffer & ((1 << UInt64(need)) - 1))
        bitBuffer >>= UInt64(need)
        bitCount -= need
        return value
    }

    private mutating func emit(_ byte: UInt8) throws(Inflate.Failure) {
        guard output.count < maxOutput else { throw .tooLarge(limit: maxOutput) }
        output.append(byte)
    }

    private mutating func stored() throws(Inflate.Failure) {
        bitBuffer = 0
        bitCount = 0 // stored blocks start on a byte boundary
        guard input.count - position >= 4 else { throw .malformed("stored block header cut short") }
        let len = Int(input[position]) | Int(input[position + 1]) << 8
        let nlen = Int(input[position + 2]) | Int(input[position + 3]) << 8
        guard len == ~nlen & 0xFFFF else { throw .malformed("stored block length check failed") }
        position += 4
        guard input.count - position >= len else { throw .malformed("stored block cut short") }
        guard output.count + len <= maxOutput else { throw .tooLarge(limit: maxOutput) }
        output.append(contentsOf: input[position..<position + len])
        position += len
    }

    private mutating func decode(_ h: Huffman) throws(Inflate.Failure) -> Int {
        var code = 0
        var first = 0
        var index = 0
        for len in 1..<16 {
            code |= try bits(1)
            let count = h.counts[len]
            if code - count < first { return h.symbols[index + (code - first)] }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        throw .malformed("invalid Huffman code")
    }

    private mutating func codes(_ lengthCode: Huffman, _ distanceCode: Huffman) throws(Inflate.Failure) {
        while true {
            let symbol = try decode(lengthCode)
            if symbol < 256 {
                try emit(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let s = symbol - 257
                guard s < 29 else { throw .malformed("invalid length symbol") }
                let length = Self.lengthBase[s] + (try bits(Self.lengthExtra[s]))
                let d = try decode(distanceCode)
                guard d < 30 else { throw .malformed("invalid distance symbol") }
                let distance = Self.distanceBase[d] + (try bits(Self.distanceExtra[d]))
                guard distance <= output.count else { throw .malformed("distance reaches before the start of the output") }
                guard output.count + length <= maxOutput else { throw .tooLarge(limit: maxOutput) }
                // Byte by byte: a copy may overlap the bytes it is producing (run-length encoding).
                for _ in 0..<length { output.append(output[output.count - distance]) }
            }
        }
    }

    private mutating func fixed() throws(Inflate.Failure) {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        let lengthCode = try Huffman(lengths: lengths[...])
        let distanceCode = try Huffman(lengths: [Int](repeating: 5, count: 30)[...])
        try codes(lengthCode, distanceCode)
    }

    private mutating func dynamic() throws(Inflate.Failure) {
        let nlen = try bits(5) + 257
        let ndist = try bits(5) + 1
        let ncode = try bits(4) + 4
        guard nlen <= 286, ndist <= 30 else { throw .malformed("too many length or distance codes") }
        var lengths = [Int](repeating: 0, count: 320)
        for i in 0..<ncode { lengths[Self.codeLengthOrder[i]] = try bits(3) }
        let codeLengthCode = try Huffman(lengths: lengths[0..<19])
        var i = 0
        while i < nlen + ndist {
            let symbol = try decode(codeLengthCode)
            if symbol < 16 {
                lengths[i] = symbol
                i += 1
                continue
            }
            var value = 0
            let repeatCount: Int
            switch symbol {
            case 16:
                guard i > 0 else { throw .malformed("repeat with no previous length") }
                value = lengths[i - 1]
                repeatCount = 3 + (try bits(2))
            case 17: repeatCount = 3 + (try bits(3))
            default: repeatCount = 11 + (try bits(7))
            }
            guard i + repeatCount <= nlen + ndist else { throw .malformed("too many code lengths") }
            for _ in 0..<repeatCount {
                lengths[i] = value
                i += 1
            }
        }
        guard lengths[256] != 0 else { throw .malformed("no end-of-block code") }
        let lengthCode = try Huffman(lengths: lengths[0..<nlen])
        let distanceCode = try Huffman(lengths: lengths[nlen..<nlen + ndist])
        try codes(lengthCode, distanceCode)
    }
}
