import Foundation
import Logging
import XCTest

@testable import Labs

/// Week 25's own logic: the record format and its torn-tail detection, recovery (snapshot + tail,
/// truncation), the commit modes against the files they leave, and the client's audit.
final class WriteAheadLogTests: XCTestCase {
    private func temporaryDirectory() throws -> WALDirectory {
        let path = NSTemporaryDirectory() + "wal-test-" + UUID().uuidString.prefix(8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let directory = WALDirectory(path: path)
        try directory.create()
        return directory
    }

    private func store(_ directory: WALDirectory, _ mode: CommitMode, checkpointEvery: Int = 0) throws -> LoggedKVStore {
        try LoggedKVStore(
            directory: directory, settings: .init(mode: mode, checkpointEvery: checkpointEvery), recovered: try Recovery.run(in: directory),
            metrics: WALMetrics(), logger: Logger(label: "test"))
    }

    // MARK: records

    func testARecordRoundTrips() {
        let record = WALRecord(lsn: 42, key: "k7", value: "7:héllo")
        let bytes = record.encoded()
        XCTAssertEqual(WALRecord.decode(bytes, at: 0), .record(record, next: bytes.count))
        XCTAssertEqual(WALRecord.decode(bytes, at: bytes.count), .end)
    }

    func testACutShortRecordIsATornTail() {
        let first = WALRecord(lsn: 1, key: "a", value: "b")
        let head = first.encoded()
        let bytes = head + WALRecord(lsn: 2, key: "c", value: String(repeating: "d", count: 50)).encoded()
        XCTAssertEqual(WALRecord.decode(bytes, at: 0), .record(first, next: head.count))
        for cut in [head.count + 3, head.count + 8, bytes.count - 1] {
            guard case .torn = WALRecord.decode(Array(bytes[..<cut]), at: head.count) else {
                return XCTFail("a record cut at \(cut) was read")
            }
        }
    }

    func testAFlippedBitFailsTheCRC() {
        var bytes = WALRecord(lsn: 9, key: "key", value: "value").encoded()
        bytes[bytes.count - 2] ^= 0x01
        XCTAssertEqual(WALRecord.decode(bytes, at: 0), .torn(reason: "CRC mismatch"))
    }

    // MARK: recovery

    func testRecoveryTruncatesATornTailAndKeepsEverythingBefore() throws {
        let directory = try temporaryDirectory()
        let path = directory.segmentPath(firstLSN: 1)
        let segment = try WALSegment(path: path, firstLSN: 1)
        var bytes: [UInt8] = []
        for lsn in 1...10 { WALRecord(lsn: UInt64(lsn), key: "k\(lsn % 4)", value: "\(lsn)").append(to: &bytes) }
        let whole = bytes.count
        WALRecord(lsn: 11, key: "k3", value: "11").append(to: &bytes)
        try segment.append(Array(bytes[..<(whole + 9)]), records: 11) // the last record only partly written
        segment.close()

        let recovered = try Recovery.run(in: directory)
        XCTAssertEqual(recovered.replayedRecords, 10)
        XCTAssertEqual(recovered.lastLSN, 10)
        XCTAssertEqual(recovered.map, ["k0": "8", "k1": "9", "k2": "10", "k3": "7"])
        XCTAssertEqual(recovered.truncatedBytes, 9)
        XCTAssertNotNil(recovered.tornReason)
        XCTAssertEqual(
            try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, whole, "the file is cut back to whole records")
        XCTAssertEqual(recovered.tail?.bytes, whole)
    }

    func testGroupCommitAcknowledgesOnlyWhatRecoveryFinds() async throws {
        let directory = try temporaryDirectory()
        let store = try store(directory, .groupCommit)
        await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<16 {
                group.addTask { for n in 0..<25 { try await store.put("w\(writer)", "\(n)") } }
            }
        }
        // No flush, no shutdown: what a kill -9 would leave.
        let recovered = try Recovery.run(in: directory)
        XCTAssertEqual(recovered.replayedRecords, 16 * 25)
        XCTAssertEqual(recovered.map, Dictionary(uniqueKeysWithValues: (0..<16).map { ("w\($0)", "24") }))
    }

    func testFsyncEachAcknowledgesOnlyWhatRecoveryFinds() async throws {
        let directory = try temporaryDirectory()
        let store = try store(directory, .fsyncEach)
        for n in 0..<20 { try await store.put("k\(n % 3)", "\(n)") }
        XCTAssertEqual(try Recovery.run(in: directory).map, ["k0": "18", "k1": "19", "k2": "17"])
    }

    func testBufferedAcknowledgesWhatAKillLoses() async throws {
        let directory = try temporaryDirectory()
        let store = try store(directory, .buffered)
        for n in 0..<5 { try await store.put("k\(n)", "v") }
        try await store.flush()
        for n in 5..<8 { try await store.put("k\(n)", "v") }
        XCTAssertEqual(store.keyCount, 8, "all eight were acknowledged")
        XCTAssertEqual(try Recovery.run(in: directory).map.count, 5, "the three still in the userspace buffer are not in the file")
    }

    func testCheckpointsBoundTheReplayToTheTail() async throws {
        let directory = try temporaryDirectory()
        let store = try store(directory, .groupCommit, checkpointEvery: 100)
        for n in 0..<1_050 { try await store.put("k\(n % 50)", "\(n)") }
        // The last checkpoint writes in the background; wait until its segments are gone.
        for _ in 0..<200 where try directory.segments().count > 1 { try await Task.sleep(for: .milliseconds(10)) }
        let recovered = try Recovery.run(in: directory)
        XCTAssertEqual(recovered.snapshotKeys, 50)
        XCTAssertLessThanOrEqual(recovered.replayedRecords, 100)
        XCTAssertEqual(recovered.lastLSN, 1_050)
        XCTAssertEqual(recovered.map["k49"], "1049")
        XCTAssertEqual(recovered.map.count, 50)
    }

    func testAKilledCheckpointLosesNothing() throws {
        // The segments are all there, the snapshot only as a temp file: recovery replays them all.
        let directory = try temporaryDirectory()
        let segment = try WALSegment(path: directory.segmentPath(firstLSN: 1), firstLSN: 1)
        var bytes: [UInt8] = []
        for lsn in 1...5 { WALRecord(lsn: UInt64(lsn), key: "k", value: "\(lsn)").append(to: &bytes) }
        try segment.append(bytes, records: 5)
        FileManager.default.createFile(atPath: directory.snapshotTempPath, contents: Data([1, 2, 3]))
        let recovered = try Recovery.run(in: directory)
        XCTAssertEqual(recovered.map, ["k": "5"])
        XCTAssertEqual(recovered.replayedRecords, 5)
    }

    // MARK: the client's audit

    func testTheAuditCountsAcknowledgedWritesThatAreGone() {
        let log = AcknowledgementLog(valueBytes: 24)
        func write(_ key: String, acknowledged: Bool) -> UInt64 {
            let sequence = log.begin(key)!
            if acknowledged { log.acknowledged(key, sequence) } else { log.failed(key, sequence) }
            return sequence
        }
        let a1 = write("a", acknowledged: true)
        let a2 = write("a", acknowledged: true)
        _ = write("b", acknowledged: true)
        let c1 = write("c", acknowledged: true)
        let c2 = write("c", acknowledged: false) // unknown outcome: stored or not, both are fine
        let d1 = write("d", acknowledged: true)

        let stored = [
            "a": log.value(for: "a", sequence: a1), // a2 lost
            // b missing: one write lost
            "c": log.value(for: "c", sequence: c2), // newer than the acknowledged one: fine
            "d": log.value(for: "e", sequence: d1), // another key's value: wrong, and d's write lost
        ]
        _ = (a2, c1)
        let audit = log.audit(stored: stored)
        XCTAssertEqual(audit.keys, 4)
        XCTAssertEqual(audit.acknowledgedWrites, 5)
        XCTAssertEqual(audit.lostWrites, 3)
        XCTAssertEqual(audit.keysLosingWrites, 3)
        XCTAssertEqual(audit.wrongValues, 1)
    }

    func testAKeyTakesOneWriteAtATime() {
        let log = AcknowledgementLog(valueBytes: 16)
        let first = log.begin("k")
        XCTAssertNotNil(first)
        XCTAssertNil(log.begin("k"))
        log.acknowledged("k", first!)
        XCTAssertNotNil(log.begin("k"))
    }
}
