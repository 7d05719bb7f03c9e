import Logging
import Synchronization
import Tracing
import XCTest

@testable import Telemetry

/// `LineLogHandler` must write exactly what swift-log's `StreamLogHandler` writes (labs' log lines are
/// read by people and grepped by tests); only *when* the metadata is rendered differs.
final class LineLogHandlerTests: XCTestCase {
    final class Captured: TextOutputStream, @unchecked Sendable {
        private let lines = Mutex<[String]>([])
        func write(_ string: String) { lines.withLock { $0.append(string) } }
        var text: [String] { lines.withLock { $0 } }
    }

    struct Boom: Error, CustomStringConvertible { var description: String { "boom happened" } }

    /// The same calls through both handlers; returns each handler's lines without their timestamp
    /// (the one field that may differ between two calls a second apart).
    private func bothWrite(_ script: (inout Logger) -> Void, provider: Logger.MetadataProvider? = nil) -> (ours: [String], theirs: [String])
    {
        let ours = Captured()
        let theirs = Captured()
        var a = Logger(label: "lab.service") { label in LineLogHandler(label: label, stream: ours, metadataProvider: provider) }
        var b = Logger(label: "lab.service") { label in StreamLogHandler(label: label, stream: theirs, metadataProvider: provider) }
        a.logLevel = .debug
        b.logLevel = .debug
        script(&a)
        script(&b)
        func withoutTimestamp(_ lines: [String]) -> [String] { lines.map { String($0.drop { $0 != " " }) } }
        return (withoutTimestamp(ours.text), withoutTimestamp(theirs.text))
    }

    func testLinesAreThoseOfStreamLogHandler() {
        let (ours, theirs) = bothWrite { logger in
            logger.info("plain")
            logger[metadataKey: "hb.request.id"] = "abc-1"
            logger[metadataKey: "lab"] = .stringConvertible(42)
            logger.debug("with metadata", metadata: ["route": "/items/{id}", "lab": "override"])
            logger.warning("nested", metadata: ["list": [.string("a"), .string("b")], "dict": ["k": "v"]])
            logger[metadataKey: "lab"] = nil
            logger.error("failed", error: Boom())
            logger.trace("below the level: not written")
        }
        XCTAssertEqual(ours.count, 4)
        XCTAssertEqual(ours, theirs)
        XCTAssertTrue(ours[1].contains("hb.request.id=abc-1 lab=override route=/items/{id}"), ours[1])
    }

    func testProviderMetadataIsStampedLikeStreamLogHandlerDoes() {
        let provider = Logger.MetadataProvider { ["trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"] }
        let (ours, theirs) = bothWrite(
            { logger in
                logger.info("inside a span")
                logger[metadataKey: "trace_id"] = "overridden by the provider"
                logger.info("again", metadata: ["trace_id": "explicit wins"])
            }, provider: provider)
        XCTAssertEqual(ours, theirs)
        XCTAssertTrue(ours[0].contains("trace_id=4bf92f3577b34da6a3ce929d0e0e4736"), ours[0])
        XCTAssertTrue(ours[1].contains("trace_id=explicit wins"), ours[1])
    }

    func testTimestampHasStreamLogHandlersShape() throws {
        let stamp = LineLogHandler.timestamp()
        // e.g. 2026-11-21T12:53:26+0000
        XCTAssertNotNil(stamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}/), stamp)
    }
}
