import XCTest

@testable import LabControl

/// Jaeger's query parameters: Go durations, tags as JSON or `tag=key:value`, microsecond times.
final class JaegerQueryTests: XCTestCase {
    func testGoDurations() throws {
        XCTAssertEqual(try JaegerQuery.duration("300ms", parameter: "d"), 300_000_000)
        XCTAssertEqual(try JaegerQuery.duration("1.5s", parameter: "d"), 1_500_000_000)
        XCTAssertEqual(try JaegerQuery.duration("250us", parameter: "d"), 250_000)
        XCTAssertEqual(try JaegerQuery.duration("250µs", parameter: "d"), 250_000)
        XCTAssertEqual(try JaegerQuery.duration("1m30s", parameter: "d"), 90_000_000_000)
        XCTAssertEqual(try JaegerQuery.duration("2h", parameter: "d"), 7_200_000_000_000)
        for bad in ["", "5", "ms", "5xs", "1..2s", "-3s"] {
            XCTAssertThrowsError(try JaegerQuery.duration(bad, parameter: "minDuration"), bad) { error in
                XCTAssertEqual((error as? ConsoleRequestError)?.parameter, "minDuration")
            }
        }
    }

    func testSearchParameters() throws {
        let search = try JaegerQuery.search([
            ("service", "client"), ("operation", "GET /quote/{id}"), ("tags", #"{"error":"true","http.response.status_code":503}"#),
            ("tag", "peer.service:backend"), ("minDuration", "100ms"), ("start", "1796209496000000"), ("limit", "5000"),
            ("lookback", "1h"), ("errors", "true"), ("order", "longest"),
        ])
        XCTAssertEqual(search.service, "client")
        XCTAssertEqual(search.operation, "GET /quote/{id}")
        XCTAssertEqual(search.tags, ["error": "true", "http.response.status_code": "503", "peer.service": "backend"])
        XCTAssertEqual(search.minDurationNanos, 100_000_000)
        XCTAssertEqual(search.startNanos, 1_796_209_496_000_000_000)
        XCTAssertEqual(search.limit, JaegerQuery.maxLimit)
        XCTAssertTrue(search.errorsOnly)
        XCTAssertEqual(search.order, .longest)
        XCTAssertNil(try JaegerQuery.search([("operation", "all")]).operation, "the UI's 'all operations'")
        XCTAssertThrowsError(try JaegerQuery.search([("order", "random")])) {
            XCTAssertEqual(($0 as? ConsoleRequestError)?.parameter, "order")
        }
    }
}
