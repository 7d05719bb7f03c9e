import Telemetry
import XCTest

@testable import LabControl

final class TraceAnalysisTests: XCTestCase {
    typealias F = TraceFixtures

    func testSelfTimeSubtractsTheUnionOfChildrenClippedToTheSpan() {
        // Span [1000, 1100]; children overlap each other and stick out of both ends.
        let children: [(start: UInt64, end: UInt64)] = [
            (990, 1010), // clipped to [1000, 1010]: 10
            (1020, 1050), (1040, 1060), // overlap: union [1020, 1060]: 40
            (1045, 1055), // inside the union: adds nothing
            (1090, 1200), // clipped to [1090, 1100]: 10
            (1200, 1300), // entirely after the span: nothing
            (1070, 1070), // empty
        ]
        XCTAssertEqual(SelfTime.of(start: 1000, end: 1100, children: children), 40)
        XCTAssertEqual(SelfTime.of(start: 1000, end: 1100, children: []), 100)
        XCTAssertEqual(SelfTime.of(start: 1000, end: 1100, children: [(900, 1200)]), 0)
        XCTAssertEqual(SelfTime.of(start: 1000, end: 1000, children: [(900, 1200)]), 0)
    }

    func testPerServiceSelfTimeAndCulpritOnAConstructedTrace() {
        let trace = Trace(traceID: F.traceID(1), spans: F.checkout())
        let perSpan = Dictionary(uniqueKeysWithValues: SelfTime.perSpan(trace.tree).map { ($0.span.span.name, $0.selfNanos) })
        XCTAssertEqual(perSpan["GET /checkout"], 20_000_000)
        XCTAssertEqual(perSpan["GET /inventory"], 4_000_000)
        XCTAssertEqual(perSpan["SELECT items"], 76_000_000)
        XCTAssertEqual(perSpan["POST /pay"], 20_000_000)

        let breakdown = SelfTime.byService([trace])
        XCTAssertEqual(breakdown.rows.map(\.service), ["inventory", "frontend"])
        XCTAssertEqual(breakdown.rows.map(\.selfNanos), [76_000_000, 44_000_000])
        XCTAssertEqual(breakdown.rows.map(\.spanCount), [1, 3])
        XCTAssertEqual(breakdown.culprit?.service, "inventory")
        XCTAssertEqual(breakdown.totalNanos, 120_000_000)
    }

    func testSummaryNamesRootRouteServicesAndErrors() {
        let s = Trace(traceID: F.traceID(1), spans: F.checkout(namespace: "week07-circuit-breakers")).summary
        XCTAssertEqual(s.rootName, "GET /checkout")
        XCTAssertEqual(s.rootService, "frontend")
        XCTAssertEqual(s.durationNanos, 100_000_000)
        XCTAssertEqual(s.spanCount, 4)
        XCTAssertEqual(s.errorCount, 1)
        XCTAssertEqual(s.services, ["frontend", "inventory"])
        XCTAssertEqual(s.namespaces, ["week07-circuit-breakers"])
        for name in ["7", "week07", "circuit-breakers", "week07-circuit-breakers"] {
            XCTAssertTrue(TraceQuery(namespace: name).matches(s), name)
        }
        for name in ["8", "week7x", "breakers"] {
            XCTAssertFalse(TraceQuery(namespace: name).matches(s), name)
        }
    }

    func testTreeNestsChildrenAndShowsOrphansAtTheRoot() {
        var spans = F.checkout()
        // A span whose parent never arrived, and two spans that name each other as parent.
        spans.append(F.span(trace: 1, id: 9, parent: 77, name: "late consumer", service: "worker", start: 95, end: 99))
        spans.append(F.span(trace: 1, id: 10, parent: 11, name: "cycle a", service: "buggy", start: 1, end: 2))
        spans.append(F.span(trace: 1, id: 11, parent: 10, name: "cycle b", service: "buggy", start: 1.5, end: 2))
        let tree = TraceTree(spans: spans)
        let lines = tree.flattened.map {
            String(repeating: "  ", count: $0.depth) + $0.node.span.span.name + ($0.node.isOrphan ? " (orphan)" : "")
        }
        XCTAssertEqual(lines.first, "GET /checkout")
        XCTAssertEqual(Array(lines.prefix(4)), ["GET /checkout", "  GET /inventory", "    SELECT items", "  POST /pay"])
        XCTAssertTrue(lines.contains("late consumer (orphan)"), "\(lines)")
        // Every span appears exactly once even with a cycle.
        XCTAssertEqual(tree.flattened.count, spans.count)
        XCTAssertTrue(lines.contains { $0.hasPrefix("cycle a") || $0.hasPrefix("cycle b") }, "\(lines)")
    }

    func testWaterfallShowsNestingBarsAttributesAndTheCulprit() throws {
        let trace = Trace(traceID: F.traceID(1), spans: F.checkout())
        let text = WaterfallRenderer(barWidth: 20).render(trace)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

        XCTAssertTrue(lines[0].hasPrefix("trace \(F.traceID(1).hex) · GET /checkout · 100.0ms · 4 spans · 2 services · 1 error"), lines[0])
        func line(_ name: String) throws -> String {
            try XCTUnwrap(lines.first { $0.hasPrefix(name) }, "no line starts with \(name.debugDescription):\n\(text)")
        }
        // Nesting by indentation, bars scaled to the trace (20 cells = 100 ms, 5 ms per cell).
        let root = try line("GET /checkout ")
        XCTAssertTrue(root.contains("|████████████████████|"), root)
        XCTAssertTrue(root.contains("http.route=/checkout"), root)
        XCTAssertTrue(root.contains("http.response.status_code=200"), root)
        let inventory = try line("  GET /inventory ")
        XCTAssertTrue(inventory.contains("|  ████████████████  |"), inventory) // 10..90 ms → cells 2..<18
        let select = try line("    SELECT items ")
        XCTAssertTrue(select.contains("inventory"), select)
        XCTAssertTrue(select.contains("ERROR"), select)
        XCTAssertTrue(select.contains("76.0ms"), select)
        XCTAssertTrue(select.contains("db.system=postgresql"), select)
        XCTAssertTrue(select.contains("error: boom"), select)
        let pay = try line("  POST /pay ")
        XCTAssertTrue(pay.contains("|      ████          |"), pay) // 30..50 ms → cells 6..<10

        XCTAssertTrue(lines.contains { $0.hasPrefix("  inventory ") && $0.contains("76.0ms") && $0.contains("63.3%") }, text)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  frontend ") && $0.contains("44.0ms") && $0.contains("36.7%") }, text)
        XCTAssertTrue(text.contains("the time went to: inventory (63.3% of self-time, 76.0ms)"), text)
    }

    func testTableListsOneRowPerTrace() {
        let a = Trace(traceID: F.traceID(1), spans: F.checkout()).summary
        let b = Trace(traceID: F.traceID(2), spans: [F.span(trace: 2, id: 1, name: "GET /health", service: "api", start: 500, end: 500.4)])
            .summary
        let text = TraceTableRenderer().render([b, a])
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].hasPrefix("TIME (UTC)"))
        XCTAssertTrue(lines[1].hasPrefix("2026-11-21 05:00:00.500  \(F.traceID(2).hex)  GET /health"), lines[1])
        XCTAssertTrue(lines[1].contains("400µs"), lines[1])
        XCTAssertTrue(lines[2].contains("GET /checkout"), lines[2])
        XCTAssertTrue(lines[2].hasSuffix("frontend,inventory"), lines[2])
        XCTAssertEqual(TraceTableRenderer().render([]), "no traces stored\n")
    }
}
