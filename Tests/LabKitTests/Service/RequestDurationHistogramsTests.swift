import Telemetry
import XCTest

@testable import LabKit

/// The middleware's own lookup of duration-histogram handlers must land in the same series the
/// factory would have made, whatever the combination, within and past its capacity.
final class RequestDurationHistogramsTests: XCTestCase {
    func testEachCombinationRecordsIntoItsOwnLabelledSeries() {
        let registry = MetricsRegistry()
        let histograms = RequestDurationHistograms(factory: PrometheusMetricsFactory(registry: registry))
        let first = histograms.handler(method: "GET", route: "/items/{id}", status: 200)
        XCTAssertTrue(first === histograms.handler(method: "GET", route: "/items/{id}", status: 200), "looked up, not made again")
        first.recordNanoseconds(2_000_000)
        histograms.handler(method: "GET", route: "/items/{id}", status: 200).recordNanoseconds(4_000_000)
        histograms.handler(method: "GET", route: nil, status: 404).recordNanoseconds(1_000_000)

        let text = registry.render(.prometheusText)
        XCTAssertTrue(
            text.contains(
                #"http_server_request_duration_seconds_count{http_request_method="GET",http_route="/items/{id}",http_response_status_code="200"} 2"#
            ), text)
        XCTAssertTrue(
            text.contains(
                #"http_server_request_duration_seconds_sum{http_request_method="GET",http_route="/items/{id}",http_response_status_code="200"} 0.006"#
            ), text)
        XCTAssertTrue(
            text.contains(
                #"http_server_request_duration_seconds_count{http_request_method="GET",http_route="unmatched",http_response_status_code="404"} 1"#
            ), text)
    }

    func testPastCapacityCombinationsAreStillRecorded() {
        let registry = MetricsRegistry()
        let histograms = RequestDurationHistograms(factory: PrometheusMetricsFactory(registry: registry))
        let combinations = RequestDurationHistograms.capacity + 5
        for i in 0..<combinations {
            histograms.handler(method: "M\(i)", route: "/", status: 200).recordNanoseconds(1_000)
            histograms.handler(method: "M\(i)", route: "/", status: 200).recordNanoseconds(1_000)
        }
        let text = registry.render(.prometheusText)
        let counts = text.split(separator: "\n").filter { $0.hasPrefix("http_server_request_duration_seconds_count{") }
        XCTAssertEqual(counts.count, combinations)
        XCTAssertTrue(counts.allSatisfy { $0.hasSuffix("} 2") }, "every series got both observations")
    }
}
