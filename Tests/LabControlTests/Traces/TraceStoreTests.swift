import Foundation
import Telemetry
import XCTest

@testable import LabControl

final class TraceStoreTests: XCTestCase {
    typealias F = TraceFixtures
    var dir: TestDirectory!

    override func setUpWithError() throws { dir = try TestDirectory("tracestore") }
    override func tearDown() { dir.remove() }

    var path: String { dir.url.path + "/traces" }

    func testAppendedTracesAreQueryableAndSurviveARestart() throws {
        do {
            let store = try TraceStore(directory: path)
            // The checkout trace arrives in two batches (as two services would send it).
            let spans = F.checkout()
            try store.append(F.request(Array(spans.prefix(2))))
            try store.append(F.request(Array(spans.suffix(2))))
            try store.append(F.request([F.span(trace: 2, id: 1, name: "GET /health", service: "api", start: 200, end: 201)]))
            XCTAssertEqual(store.statistics.traceCount, 2)
            XCTAssertEqual(store.statistics.spanCount, 5)
        }
        let reopened = try TraceStore(directory: path)
        XCTAssertEqual(reopened.statistics.traceCount, 2)
        XCTAssertEqual(reopened.recent(limit: 10).map(\.traceID), [F.traceID(2), F.traceID(1)])
        XCTAssertEqual(reopened.slowest(1).first?.traceID, F.traceID(1))
        let trace = try XCTUnwrap(try reopened.trace(F.traceID(1)))
        XCTAssertEqual(trace.spans.map(\.span.name), ["GET /checkout", "GET /inventory", "SELECT items", "POST /pay"])
        XCTAssertEqual(
            trace.spans, Trace(traceID: F.traceID(1), spans: F.checkout()).spans, "spans, resources and scopes round-trip exactly")
        XCTAssertEqual(reopened.summary(F.traceID(1)), Trace(traceID: F.traceID(1), spans: F.checkout()).summary)
        XCTAssertEqual(try reopened.resolve(idPrefix: String(F.traceID(2).hex.prefix(32))), F.traceID(2))
        XCTAssertThrowsError(try reopened.resolve(idPrefix: "abcd")) { error in
            XCTAssertEqual(error as? TraceStoreError, .ambiguousTraceID("abcd", matches: 2))
        }
    }

    func testWindowServiceAndCulpritQueries() throws {
        let store = try TraceStore(directory: path)
        // Three checkout traces at 0 s, 10 s, 20 s; a fast api trace at 12 s.
        for (i, offset) in [0.0, 10_000, 20_000].enumerated() {
            try store.append(F.request(F.checkout(trace: UInt64(10 + i), offset: offset)))
        }
        try store.append(F.request([F.span(trace: 99, id: 1, name: "GET /fast", service: "api", start: 12_000, end: 12_001)]))
        let window = TraceQuery(startedAtOrAfter: F.ms(5_000), startedBefore: F.ms(15_000))
        XCTAssertEqual(Set(store.summaries(window).map(\.traceID)), [F.traceID(11), F.traceID(99)])
        XCTAssertEqual(try store.slowestTrace(window)?.traceID, F.traceID(11))
        XCTAssertEqual(store.recent(limit: 10, TraceQuery(service: "api")).map(\.traceID), [F.traceID(99)])
        let breakdown = try store.selfTimeByService(window)
        XCTAssertEqual(breakdown.culprit?.service, "inventory")
        XCTAssertEqual(breakdown.rows.first { $0.service == "api" }?.selfNanos, 1_000_000)
        XCTAssertEqual(breakdown.rows.first { $0.service == "frontend" }?.selfNanos, 44_000_000)
    }

    func testSizeBoundDropsTheOldestSegmentAndItsTraces() throws {
        // Small segments so that a few traces fill one; the bound keeps about three segments.
        let store = try TraceStore(directory: path, maxSegmentBytes: 2_000, maxTotalBytes: 6_000)
        for i in 1...40 {
            try store.append(F.request(F.checkout(trace: UInt64(i), offset: Double(i) * 1_000)))
        }
        let stats = store.statistics
        XCTAssertGreaterThan(stats.droppedSegments, 0)
        XCTAssertLessThanOrEqual(stats.diskBytes, 6_000)
        let kept = Set(store.summaries().map(\.traceID))
        XCTAssertTrue(kept.contains(F.traceID(40)), "the newest trace is kept")
        XCTAssertFalse(kept.contains(F.traceID(1)), "the oldest trace was dropped")
        XCTAssertLessThan(kept.count, 40)
        // What is indexed is exactly what is on disk: every kept trace reads back whole, and a
        // restart sees the same set.
        for id in kept { XCTAssertEqual(try store.trace(id)?.spans.count, 4) }
        let files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".dltrace") }
        XCTAssertEqual(files.count, stats.segmentCount)
        let reopened = try TraceStore(directory: path, maxSegmentBytes: 2_000, maxTotalBytes: 6_000, readOnly: true)
        XCTAssertEqual(Set(reopened.summaries().map(\.traceID)), kept)
    }

    func testAReaderSurvivesTheWriterDeletingSegments() throws {
        let writer = try TraceStore(directory: path, maxSegmentBytes: 1_000, maxTotalBytes: 3_000)
        try writer.append(F.request(F.checkout(trace: 1)))
        let reader = try TraceStore(directory: path, readOnly: true)
        XCTAssertNotNil(try reader.trace(F.traceID(1)))
        for i in 2...40 { try writer.append(F.request(F.checkout(trace: UInt64(i), offset: Double(i)))) }
        XCTAssertNil(writer.summary(F.traceID(1)), "the writer dropped trace 1 with its segment")
        // The reader's index is a snapshot: it still lists trace 1 but finds its file gone.
        XCTAssertNotNil(reader.summary(F.traceID(1)))
        XCTAssertNil(try reader.trace(F.traceID(1)))
        // A fresh reader opens cleanly.
        let fresh = try TraceStore(directory: path, readOnly: true)
        XCTAssertEqual(Set(fresh.summaries().map(\.traceID)), Set(writer.summaries().map(\.traceID)))
        XCTAssertEqual(fresh.statistics.recoveryNotes, [])
    }

    func testATraceSpanningSegmentsShrinksWhenItsOldPartIsDropped() throws {
        let store = try TraceStore(directory: path, maxSegmentBytes: 1_000, maxTotalBytes: 2_500)
        let spans = F.checkout(trace: 7)
        try store.append(F.request([spans[0]])) // the root, in the first segment
        // Filler until the first segment is deleted; the rest of trace 7 arrives in a later segment.
        var i = 0
        while store.statistics.droppedSegments == 0, i < 200 {
            i += 1
            try store.append(
                F.request([F.span(trace: UInt64(100 + i), id: 1, name: "filler", service: "api", start: Double(i), end: Double(i) + 1)]))
            if i == 12 { try store.append(F.request(Array(spans[1...]))) }
        }
        XCTAssertEqual(store.statistics.droppedSegments, 1)
        XCTAssertGreaterThan(i, 12, "the rest of the trace was written before the first segment was dropped")
        let summary = try XCTUnwrap(store.summary(F.traceID(7)), "the part in a newer segment is still indexed")
        let trace = try XCTUnwrap(try store.trace(F.traceID(7)))
        XCTAssertEqual(trace.spans.map(\.span.name), ["GET /inventory", "SELECT items", "POST /pay"])
        XCTAssertEqual(summary.spanCount, 3, "the summary was recomputed from what is left")
        XCTAssertEqual(summary.rootName, "GET /inventory", "with the root gone, the earliest span stands in")
    }

    func testTruncatedTailIsDetectedAndCutOff() throws {
        do {
            let store = try TraceStore(directory: path)
            try store.append(F.request(F.checkout(trace: 1)))
            try store.append(F.request(F.checkout(trace: 2, offset: 1_000)))
        }
        let segment = path + "/" + TraceSegmentFile.fileName(sequence: 1)
        let whole = try Data(contentsOf: URL(fileURLWithPath: segment))
        // A crash in the middle of writing a third record: its header and half its payload.
        let third = TraceSegmentFile.encodeRecord(F.request(F.checkout(trace: 3, offset: 2_000)).protobufBytes())
        let partial = whole + Data(third.prefix(third.count / 2))
        try partial.write(to: URL(fileURLWithPath: segment))

        // A reader skips the damage without touching the file.
        let reader = try TraceStore(directory: path, readOnly: true)
        XCTAssertEqual(Set(reader.summaries().map(\.traceID)), [F.traceID(1), F.traceID(2)])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: segment)).count, partial.count)

        let store = try TraceStore(directory: path)
        XCTAssertEqual(Set(store.summaries().map(\.traceID)), [F.traceID(1), F.traceID(2)])
        XCTAssertEqual(store.statistics.recoveredBytes, third.count / 2)
        XCTAssertEqual(store.statistics.recoveryNotes.count, 1)
        XCTAssertTrue(store.statistics.recoveryNotes[0].contains("cut short"), store.statistics.recoveryNotes[0])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: segment)), whole, "the partial record was truncated")
        // Appending after recovery writes a clean record that a later restart reads.
        try store.append(F.request(F.checkout(trace: 4, offset: 3_000)))
        XCTAssertEqual(try store.trace(F.traceID(4))?.spans.count, 4)
    }

    func testFlippedByteInTheLastRecordIsCaughtByTheChecksum() throws {
        do {
            let store = try TraceStore(directory: path)
            try store.append(F.request(F.checkout(trace: 1)))
            try store.append(F.request(F.checkout(trace: 2, offset: 1_000)))
        }
        let url = URL(fileURLWithPath: path + "/" + TraceSegmentFile.fileName(sequence: 1))
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[bytes.count - 10] ^= 0xFF
        try Data(bytes).write(to: url)
        let store = try TraceStore(directory: path)
        XCTAssertEqual(store.summaries().map(\.traceID), [F.traceID(1)])
        XCTAssertTrue(store.statistics.recoveryNotes.first?.contains("checksum") ?? false, "\(store.statistics.recoveryNotes)")
    }

    func testConcurrentAppendsLoseNothing() async throws {
        let store = try TraceStore(directory: path, maxSegmentBytes: 64 << 10, maxTotalBytes: 64 << 20)
        let writers = 8
        let tracesPerWriter = 25
        await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                group.addTask {
                    for t in 0..<tracesPerWriter {
                        let id = UInt64(w * 1_000 + t + 1)
                        try store.append(F.request(F.checkout(trace: id, offset: Double(t))))
                    }
                }
            }
        }
        XCTAssertEqual(store.statistics.traceCount, writers * tracesPerWriter)
        XCTAssertEqual(store.statistics.spanCount, writers * tracesPerWriter * 4)
        XCTAssertGreaterThan(store.statistics.segmentCount, 1, "appends rolled over into new segments")
        let reopened = try TraceStore(directory: path, readOnly: true)
        XCTAssertEqual(reopened.statistics.traceCount, writers * tracesPerWriter)
        XCTAssertEqual(reopened.statistics.recoveredBytes, 0, "no interleaved or torn records")
    }

    func testInvalidIdsAreRejectedAndDuplicatesCountedOnce() throws {
        let store = try TraceStore(directory: path)
        var bad = F.span(trace: 5, id: 1, name: "no trace id", service: "api", start: 0, end: 1)
        bad.span.traceID = []
        var zero = F.span(trace: 5, id: 2, name: "zero span id", service: "api", start: 0, end: 1)
        zero.span.spanID = [UInt8](repeating: 0, count: 8)
        let good = F.span(trace: 5, id: 3, name: "fine", service: "api", start: 0, end: 1)
        let result = try store.append(F.request([bad, zero, good]))
        XCTAssertEqual(result.acceptedSpans, 1)
        XCTAssertEqual(result.rejectedSpans, 2)
        XCTAssertFalse(result.rejectionReason.isEmpty)
        // A retrying exporter re-sends the same batch: still one span.
        try store.append(F.request([good]))
        XCTAssertEqual(store.summary(F.traceID(5))?.spanCount, 1)
        XCTAssertEqual(try store.trace(F.traceID(5))?.spans.count, 1)
    }

    func testOneWriterPerDirectory() throws {
        let first = try TraceStore(directory: path)
        XCTAssertThrowsError(try TraceStore(directory: path)) { error in
            XCTAssertEqual(error as? TraceStoreError, .inUse(directory: path))
        }
        XCTAssertNoThrow(try TraceStore(directory: path, readOnly: true))
        XCTAssertThrowsError(try TraceStore(directory: path, readOnly: true).append(F.request(F.checkout())))
        _ = first
    }
}
