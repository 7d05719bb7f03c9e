import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The store's files, all in one directory (`DATA_DIR`):
///
///     wal-00000000000000000001.log   segments of the log, named by their first LSN; the last is appended to
///     snapshot.dat                   the whole map as of a checkpoint, and the last LSN it contains
///     snapshot.tmp                   a checkpoint being written (recovery ignores it)
struct WALDirectory: Sendable {
    let path: String

    var snapshotPath: String { path + "/snapshot.dat" }
    var snapshotTempPath: String { path + "/snapshot.tmp" }

    func segmentPath(firstLSN: UInt64) -> String {
        let digits = String(firstLSN)
        return path + "/wal-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    /// The segments, oldest first.
    func segments() throws -> [(firstLSN: UInt64, path: String)] {
        try FileManager.default.contentsOfDirectory(atPath: path)
            .compactMap { name -> (UInt64, String)? in
                guard name.hasPrefix("wal-"), name.hasSuffix(".log"), let lsn = UInt64(name.dropFirst(4).dropLast(4)) else { return nil }
                return (lsn, path + "/" + name)
            }
            .sorted { $0.0 < $1.0 }
            .map { (firstLSN: $0.0, path: $0.1) }
    }

    func create() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Everything in the directory goes (a fresh experiment).
    func removeAll() throws {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            try FileManager.default.removeItem(atPath: path + "/" + name)
        }
    }

    /// A new file's name, a rename, a deletion is durable only once the directory itself is synced.
    func sync() throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw WALError("open \(path)", errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw WALError("fsync \(path)", errno) }
    }
}

/// The segment being appended to: an O_APPEND file descriptor. Only the log's I/O queue touches it.
final class WALSegment {
    let firstLSN: UInt64
    let path: String
    private(set) var bytes: Int
    private(set) var records: Int
    private var fd: Int32

    init(path: String, firstLSN: UInt64, bytes: Int = 0, records: Int = 0) throws {
        self.path = path
        self.firstLSN = firstLSN
        self.bytes = bytes
        self.records = records
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WALError("open \(path)", errno) }
    }

    deinit { if fd >= 0 { closeDescriptor(fd) } }

    /// write(2) until every byte is in the kernel: from here a kill -9 of this process loses nothing,
    /// but the bytes sit in the page cache until the kernel writes them back — an OS crash or a power
    /// cut loses them.
    func append(_ data: [UInt8], records count: Int) throws {
        var written = 0
        try data.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw WALError("write \(path)", errno)
                }
                written += n
            }
        }
        bytes += data.count
        records += count
    }

    /// fsync(2): returns once the file's data (and its new length) is on stable storage.
    func sync() throws {
        guard fsync(fd) == 0 else { throw WALError("fsync \(path)", errno) }
    }

    func close() {
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
    }
}

/// A checkpoint: the whole map and the last LSN it contains, written to `snapshot.tmp`, fsynced, and
/// renamed over `snapshot.dat` (a rename is atomic: recovery finds the old snapshot or the new one,
/// never half of one). Only then may the segments it covers be deleted.
///
///     "WALSNAP1" │ last lsn u64 │ key count u64 │ records (the WAL's format, lsn = last lsn)
enum Snapshot {
    static let magic = Array("WALSNAP1".utf8)

    /// Writes it durably; returns its size in bytes.
    static func write(_ map: [String: String], lastLSN: UInt64, in directory: WALDirectory) throws -> Int {
        var bytes = magic
        bytes.reserveCapacity(map.count * 64)
        bytes.appendLittleEndian(lastLSN)
        bytes.appendLittleEndian(UInt64(map.count))
        for (key, value) in map { WALRecord(lsn: lastLSN, key: key, value: value).append(to: &bytes) }
        unlink(directory.snapshotTempPath) // what a killed checkpoint left
        let temp = try WALSegment(path: directory.snapshotTempPath, firstLSN: 0)
        defer { temp.close() }
        try temp.append(bytes, records: map.count)
        try temp.sync()
        guard rename(directory.snapshotTempPath, directory.snapshotPath) == 0 else { throw WALError("rename snapshot", errno) }
        try directory.sync()
        return bytes.count
    }

    /// The last checkpoint, or nil if there is none.
    static func read(in directory: WALDirectory) throws -> (map: [String: String], lastLSN: UInt64)? {
        guard let data = FileManager.default.contents(atPath: directory.snapshotPath) else { return nil }
        let bytes = [UInt8](data)
        guard bytes.count >= 24, Array(bytes[0..<8]) == magic else { throw WALError("\(directory.snapshotPath) is not a snapshot") }
        let lastLSN = bytes.readLittleEndian(UInt64.self, at: 8)
        let count = Int(bytes.readLittleEndian(UInt64.self, at: 16))
        var map: [String: String] = [:]
        map.reserveCapacity(count)
        var offset = 24
        while case .record(let record, let next) = WALRecord.decode(bytes, at: offset) {
            map[record.key] = record.value
            offset = next
        }
        guard map.count == count, offset == bytes.count else {
            throw WALError("\(directory.snapshotPath): \(map.count) of \(count) keys readable")
        }
        return (map, lastLSN)
    }
}

/// close(2) (a free function: inside `WALSegment`, `close` is the method).
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}

struct WALError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }

    init(_ what: String, _ code: Int32) {
        description = "\(what): \(String(cString: strerror(code)))"
    }
}
