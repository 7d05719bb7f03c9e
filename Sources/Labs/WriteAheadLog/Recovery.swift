import Foundation
import LabKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replay on start: the last checkpoint's map, then every record of the log after it, in LSN order.
/// Its cost grows with the log's length since the checkpoint — which is what checkpoints bound.
///
/// A record that is cut short or fails its CRC ends the log: the file is truncated there (the next
/// append must not land after garbage), and any later segment is removed (records after a gap would
/// not be a prefix of what was written).
struct Recovery {
    struct Result {
        var map: [String: String] = [:]
        var lastLSN: UInt64 = 0
        var snapshotKeys = 0
        var snapshotSeconds = 0.0
        var replayedRecords = 0
        var replayedBytes = 0
        /// Records the snapshot already contained (a checkpoint finished, its segments not yet deleted).
        var skippedRecords = 0
        var truncatedBytes = 0
        var tornReason: String?
        var replaySeconds = 0.0
        /// The segment to append to: its path, first LSN, bytes and records.
        var tail: (path: String, firstLSN: UInt64, bytes: Int, records: Int)?
        /// Bytes of every segment left, after truncation.
        var walBytes = 0
    }

    static func run(in directory: WALDirectory) throws -> Result {
        var result = Result()
        let clock = ContinuousClock()

        let snapshotStart = clock.now
        if let snapshot = try Snapshot.read(in: directory) {
            result.map = snapshot.map
            result.lastLSN = snapshot.lastLSN
            result.snapshotKeys = snapshot.map.count
        }
        let snapshotLSN = result.lastLSN
        result.snapshotSeconds = (clock.now - snapshotStart).inSeconds

        let replayStart = clock.now
        var segments = try directory.segments()
        // A segment whose successor starts at or before the snapshot's LSN + 1 is all in the snapshot.
        while segments.count > 1, segments[1].firstLSN <= snapshotLSN + 1 {
            try FileManager.default.removeItem(atPath: segments.removeFirst().path)
        }
        for (index, segment) in segments.enumerated() {
            let bytes = [UInt8](FileManager.default.contents(atPath: segment.path) ?? Data())
            var offset = 0
            var records = 0
            scan: while true {
                switch WALRecord.decode(bytes, at: offset) {
                case .record(let record, let next):
                    records += 1
                    if record.lsn <= snapshotLSN {
                        result.skippedRecords += 1
                    } else {
                        result.map[record.key] = record.value
                        result.lastLSN = record.lsn
                        result.replayedRecords += 1
                        result.replayedBytes += next - offset
                    }
                    offset = next
                case .end:
                    break scan
                case .torn(let reason):
                    result.tornReason = "\(segment.path) at byte \(offset): \(reason)"
                    result.truncatedBytes += bytes.count - offset
                    guard truncate(segment.path, off_t(offset)) == 0 else { throw WALError("truncate \(segment.path)", errno) }
                    for later in segments[(index + 1)...] {
                        result.truncatedBytes += (try? FileManager.default.attributesOfItem(atPath: later.path)[.size] as? Int) ?? 0
                        try FileManager.default.removeItem(atPath: later.path)
                    }
                    segments = Array(segments[...index])
                    break scan
                }
            }
            result.walBytes += offset
            if index == segments.count - 1 {
                result.tail = (segment.path, segment.firstLSN, offset, records)
            }
            if result.tornReason != nil { break }
        }
        result.replaySeconds = (clock.now - replayStart).inSeconds
        return result
    }
}
