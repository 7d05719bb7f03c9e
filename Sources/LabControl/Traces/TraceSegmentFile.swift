import Foundation
import LabKit

/// One append-only segment of the trace store: `segment-000042.dltrace`.
///
/// Layout: an 8-byte header `DLTRACE1`, then records, each
///
///     u32 big-endian payload length | u32 big-endian CRC-32 of the payload | payload
///
/// where the payload is an OTLP `ExportTraceServiceRequest` in protobuf. The length prefix lets a
/// reader skip from record to record; the checksum tells a complete record from one cut short by a
/// crash in the middle of a write (or a torn page), which `scan` reports so the store can truncate it.
struct TraceSegmentFile {
    static let header: [UInt8] = Array("DLTRACE1".utf8)
    static let recordHeaderSize = 8
    /// Larger than any request the receiver accepts; a bigger length field means corruption.
    static let maxRecordSize = 256 << 20

    let sequence: Int
    let path: String

    static func fileName(sequence: Int) -> String {
        "segment-" + String(repeating: "0", count: max(0, 6 - String(sequence).count)) + String(sequence) + ".dltrace"
    }

    /// The sequence number encoded in a segment file name, or nil for other files.
    static func sequence(ofFileName name: String) -> Int? {
        guard name.hasPrefix("segment-"), name.hasSuffix(".dltrace") else { return nil }
        return Int(name.dropFirst("segment-".count).dropLast(".dltrace".count))
    }

    struct Record {
        var offset: Int
        var payload: ArraySlice<UInt8>
    }

    /// What reading a whole segment found: its complete records, and where the valid data ends.
    struct ScanResult {
        var records: [Record]
        /// Bytes up to the end of the last good record; everything after it is damaged or partial.
        var validLength: Int
        var fileLength: Int
        /// Why the scan stopped before the end of the file, if it did.
        var damage: String?
    }

    /// Reads and checks every record. `validate` may reject a payload whose checksum matched
    /// (e.g. it does not decode); the scan then stops there as for any other damage.
    static func scan(_ bytes: [UInt8], validate: (ArraySlice<UInt8>) -> String? = { _ in nil }) -> ScanResult {
        var result = ScanResult(records: [], validLength: 0, fileLength: bytes.count, damage: nil)
        guard bytes.count >= header.count else {
            result.damage = bytes.isEmpty ? nil : "file shorter than its header"
            return result
        }
        guard Array(bytes[0..<header.count]) == header else {
            result.damage = "not a trace segment (bad header)"
            return result
        }
        var offset = header.count
        result.validLength = offset
        while offset < bytes.count {
            guard bytes.count - offset >= recordHeaderSize else {
                result.damage = "partial record header at byte \(offset)"
                break
            }
            let length = Int(readUInt32(bytes, offset))
            let crc = readUInt32(bytes, offset + 4)
            guard length <= maxRecordSize else {
                result.damage = "implausible record length \(length) at byte \(offset)"
                break
            }
            let start = offset + recordHeaderSize
            guard bytes.count - start >= length else {
                result.damage = "record at byte \(offset) cut short (\(bytes.count - start) of \(length) bytes)"
                break
            }
            let payload = bytes[start..<start + length]
            guard CRC32.checksum(payload) == crc else {
                result.damage = "checksum mismatch in record at byte \(offset)"
                break
            }
            if let problem = validate(payload) {
                result.damage = "record at byte \(offset) does not decode: \(problem)"
                break
            }
            result.records.append(Record(offset: offset, payload: payload))
            offset = start + length
            result.validLength = offset
        }
        return result
    }

    /// The bytes one record occupies on disk.
    static func encodeRecord(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(recordHeaderSize + payload.count)
        appendUInt32(UInt32(payload.count), to: &out)
        appendUInt32(CRC32.checksum(payload), to: &out)
        out.append(contentsOf: payload)
        return out
    }

    private static func readUInt32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    private static func appendUInt32(_ v: UInt32, to out: inout [UInt8]) {
        out.append(contentsOf: [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)])
    }
}

/// Thin wrappers over POSIX file calls that throw a `TraceStoreError` naming the file.
enum PosixFile {
    static func readAll(_ path: String) throws(TraceStoreError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("open \(path)", errno) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("read \(path)", errno)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Reads `count` bytes at `offset` (a record from an older segment).
    static func readRange(_ path: String, offset: Int, count: Int) throws(TraceStoreError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("open \(path)", errno) }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("read \(path)", errno)
            }
            if n == 0 { throw .io("read \(path): unexpected end of file", 0) }
            done += n
        }
        return out
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(TraceStoreError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("write \(path)", errno)
            }
            done += n
        }
    }
}
