import LabKit

/// One record of the log, as it lies in the file:
///
///     ┌────────────┬────────────┬───────────────────────────────────────────────┐
///     │ length u32 │ crc32 u32  │ payload: lsn u64 │ key length u16 │ key │ value │
///     └────────────┴────────────┴───────────────────────────────────────────────┘
///       little-endian; `length` counts the payload; the CRC (IEEE 802.3) covers the payload
///
/// The length says where the record ends; the CRC says whether what is there is what was written. A
/// record that runs past the end of the file, or whose CRC does not match, is a torn tail: the last
/// write that did not fully reach the disk (a power cut in the middle of it). Replay stops there and
/// truncates the file, so the log stays a clean prefix of what was written.
struct WALRecord: Equatable, Sendable {
    let lsn: UInt64
    let key: String
    let value: String

    static let headerBytes = 8
    /// Longer than any record this store writes: a length past it is garbage, not a record.
    static let maxPayloadBytes = 1 << 20

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        append(to: &bytes)
        return bytes
    }

    /// Appends the encoded record to `bytes` (a batch, or the userspace buffer): the header's two
    /// fields are filled in once the payload is there.
    func append(to bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: Self.headerBytes))
        bytes.appendLittleEndian(lsn)
        bytes.appendLittleEndian(UInt16(key.utf8.count))
        bytes.append(contentsOf: key.utf8)
        bytes.append(contentsOf: value.utf8)
        let length = UInt32(bytes.count - start - Self.headerBytes)
        bytes.withUnsafeMutableBytes { raw in
            let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[(start + Self.headerBytes)...]))
            raw.storeBytes(of: length.littleEndian, toByteOffset: start, as: UInt32.self)
            raw.storeBytes(of: crc.littleEndian, toByteOffset: start + 4, as: UInt32.self)
        }
    }

    /// What lies at `offset` in a log file's bytes.
    enum Decoded: Equatable {
        case record(WALRecord, next: Int)
        /// The bytes end exactly here.
        case end
        /// From `offset` on, the bytes are not a whole, intact record.
        case torn(reason: String)
    }

    static func decode(_ bytes: [UInt8], at offset: Int) -> Decoded {
        let remaining = bytes.count - offset
        if remaining == 0 { return .end }
        guard remaining >= headerBytes else { return .torn(reason: "\(remaining) bytes, shorter than a record header") }
        let length = Int(bytes.readLittleEndian(UInt32.self, at: offset))
        guard length >= 10, length <= maxPayloadBytes else { return .torn(reason: "length \(length) is not a record's") }
        guard remaining >= headerBytes + length else {
            return .torn(reason: "a \(length)-byte record with \(remaining - headerBytes) bytes written")
        }
        let crc = bytes.readLittleEndian(UInt32.self, at: offset + 4)
        let payload = bytes[(offset + headerBytes)..<(offset + headerBytes + length)]
        guard CRC32.checksum(payload) == crc else { return .torn(reason: "CRC mismatch") }
        let start = payload.startIndex
        let lsn = bytes.readLittleEndian(UInt64.self, at: start)
        let keyLength = Int(bytes.readLittleEndian(UInt16.self, at: start + 8))
        guard 10 + keyLength <= length else { return .torn(reason: "key length \(keyLength) past the record") }
        let key = String(decoding: payload[(start + 10)..<(start + 10 + keyLength)], as: UTF8.self)
        let value = String(decoding: payload[(start + 10 + keyLength)...], as: UTF8.self)
        return .record(WALRecord(lsn: lsn, key: key, value: value), next: offset + headerBytes + length)
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    func readLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        for i in 0..<MemoryLayout<T>.size { value |= T(self[offset + i]) << (8 * i) }
        return value
    }
}
