import Foundation
import XCTest

@testable import LabControl

/// Which panels the panel-truth check judges, how it widens them to a phase, and when it says a panel
/// disagrees. The check itself runs in every lab's comparison (`panel_truth` in `labctl compare --json`).
final class PanelTruthTests: XCTestCase {
    func testWeek7LatencyPanelsAreJudgedAndOtherPanelsAreNot() throws {
        let catalog = try LabCatalog.load(root: Fixtures.repositoryRoot.appendingPathComponent("labs"))
        let panels = PanelTruth.comparablePanels(try catalog.resolve("circuit-breakers").manifest)
        XCTAssertEqual(panels.map(\.title), ["Client p50 latency", "Client p99 latency"])
        XCTAssertEqual(panels.map(\.quantile), [0.5, 0.99])
        XCTAssertEqual(panels.map(\.request), ["quote", "quote"], "http_route=/quote/{id} is the scenario's request 'quote'")
    }

    func testThePanelIsWidenedToThePhase() {
        let query =
            #"histogram_quantile(0.5, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="client", http_route="/quote/{id}"}[5s])))"#
        XCTAssertEqual(
            PanelTruth.overPhase(query, seconds: 25.2),
            #"histogram_quantile(0.5, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="client", http_route="/quote/{id}"}[25s])))"#
        )
        XCTAssertEqual(PanelTruth.overPhase("rate(x[$__rate_interval])", seconds: 10), "rate(x[10s])")
        XCTAssertEqual(
            PanelTruth.overPhase("max_over_time(x[1m:5s])", seconds: 10), "max_over_time(x[1m:5s])", "subqueries keep their shape")
    }

    func testExactQuantileIsHdrHistogramsRank() {
        let values: [UInt64] = (1...100).map { UInt64($0) }
        XCTAssertEqual(PanelTruth.exactQuantile(values, 0.5), 50)
        XCTAssertEqual(PanelTruth.exactQuantile(values, 0.99), 99)
        XCTAssertEqual(PanelTruth.exactQuantile(values.reversed(), 0.95), 95)
        XCTAssertNil(PanelTruth.exactQuantile([], 0.5))
    }

    func testAgreementIsTenPercentOrOneMillisecond() {
        func reading(panel: Double, server: Double?, spans: Int = 400, q: Double = 0.5) -> PanelTruth.Reading {
            PanelTruth.Reading(
                panel: "p", quantile: q, phase: "x", panelSeconds: panel, serverSeconds: server, serverSpans: spans,
                serverRange: server.map { $0...$0 }, measuredSeconds: nil, responses: 0)
        }
        // The issue's case: every request waits for the 300 ms timeout; buckets 250/500 read 375 ms.
        XCTAssertFalse(reading(panel: 0.375, server: 0.302).agrees)
        XCTAssertTrue(reading(panel: 0.311, server: 0.302).agrees)
        XCTAssertTrue(reading(panel: 0.0008, server: 0.0001).agrees, "sub-millisecond: within the 1 ms floor")
        XCTAssertFalse(reading(panel: 0.004, server: 0.002).agrees)
        XCTAssertTrue(reading(panel: 9, server: nil).agrees, "no traces: not judged")
        XCTAssertFalse(reading(panel: 9, server: 0.3, spans: 50, q: 0.99).judged, "50 spans: a short phase is not judged")
        // A p99 of 200 requests is the 2nd largest; a request more or less at the window's edge moves it.
        let durations: [UInt64] = (1...198).map { _ in 10_000_000 } + [11_500_000, 13_000_000]
        XCTAssertEqual(PanelTruth.exactRange(durations, 0.99), 0.010...0.013)
        var tail = reading(panel: 0.0131, server: 0.0115, spans: 200, q: 0.99)
        tail.serverRange = PanelTruth.exactRange(durations, 0.99)
        XCTAssertTrue(tail.agrees)
        tail.panelSeconds = 0.0160
        XCTAssertFalse(tail.agrees)
        // A bimodal tail (week 6): the spans between the scrapes and the load generator's whole phase
        // put the p99 in different modes, so the spans are no yardstick there: not judged.
        var bimodal = reading(panel: 0.576, server: 0.375, spans: 310, q: 0.99)
        bimodal.measuredSeconds = 0.640
        XCTAssertFalse(bimodal.judged)
        XCTAssertTrue(bimodal.agrees)
        // Week 7's artefact with the load generator beside it: same requests, judged, and it fails.
        var artefact = reading(panel: 0.375, server: 0.302)
        artefact.measuredSeconds = 0.310
        XCTAssertTrue(artefact.judged)
        XCTAssertFalse(artefact.agrees)
    }

    func testEitherEdgeOfTheWindowMayMoveLaterByTheLongestScrape() {
        let windows = PanelTruth.windows(from: 10, to: 20, renderSlack: 0.05)
        XCTAssertEqual(windows.count, 4)
        XCTAssertEqual(windows[0], 10_000_000_001...20_000_000_000, "the reading's own window: (first scrape, last scrape]")
        XCTAssertTrue(windows.contains(10_050_000_001...20_050_000_000))
        // Week 23 at a busy moment: the slowest request of the phase ended 20 ms after the last scrape's
        // timestamp, before that scrape rendered; the histogram counted it, the spans' window did not.
        let inside: [(ended: Double, duration: UInt64)] = (0..<119).map { (10.5 + Double($0) * 0.08, 20_000_000) } + [(19.9, 26_700_000)]
        let slow = (ended: 20.02, duration: UInt64(31_000_000))
        let ranges = windows.compactMap { window in
            PanelTruth.exactRange((inside + [slow]).filter { window.contains(UInt64($0.ended * 1e9)) }.map(\.duration), 0.99)
        }
        XCTAssertEqual(ranges[0].upperBound, 0.0267, accuracy: 1e-9, "the spans between the scrapes stop at 26.7 ms")
        let range = ranges.reduce(nil, PanelTruth.union)
        XCTAssertEqual(range?.upperBound ?? 0, 0.031, accuracy: 1e-9, "moved 50 ms later, the window holds the 31 ms request")
        XCTAssertEqual(PanelTruth.windows(from: 10, to: 20, renderSlack: 0).count, 4, "no slack: the same window four times")
    }

    func testThePanelIsReadAsItsBucketsIncreaseBetweenTheTwoScrapes() {
        let query =
            #"histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="client", http_route="/quote/{id}"}[5s])))"#
        let selector = #"http_server_request_duration_seconds_bucket{job="client", http_route="/quote/{id}"}"#
        XCTAssertEqual(
            PanelTruth.betweenScrapes(query, seconds: 3.75),
            "histogram_quantile(0.99, sum by (le) ((\(selector) - (\(selector) offset 3750ms or \(selector) * 0))))")
        XCTAssertEqual(
            PanelTruth.betweenScrapes(#"histogram_quantile(0.5, sum by (le) (increase(x_bucket[1m])))"#, seconds: 2),
            "histogram_quantile(0.5, sum by (le) ((x_bucket - (x_bucket offset 2000ms or x_bucket * 0))))")
        XCTAssertNil(PanelTruth.betweenScrapes("histogram_quantile(0.5, x_bucket)", seconds: 2), "no range function: the panel as it is")
    }
}
