import XCTest

@testable import LabKit

final class DatabaseURLTests: XCTestCase {
    func testTCPURL() throws {
        let url = try DatabaseURL("postgres://lab:p%40ss@127.0.0.1:5433/shop")
        XCTAssertEqual(url.user, "lab")
        XCTAssertEqual(url.password, "p@ss")
        XCTAssertEqual(url.host, "127.0.0.1")
        XCTAssertEqual(url.port, 5433)
        XCTAssertEqual(url.database, "shop")
        XCTAssertNil(url.socketDirectory)
        XCTAssertEqual(url.configuration.port, 5433)
    }

    func testSocketDirectoryURL() throws {
        let url = try DatabaseURL("postgresql://lab@/shop?host=/tmp/pg-sock&port=5499")
        XCTAssertEqual(url.socketDirectory, "/tmp/pg-sock")
        XCTAssertEqual(url.port, 5499)
        XCTAssertEqual(url.configuration.unixSocketPath, "/tmp/pg-sock/.s.PGSQL.5499")
    }

    func testBadURLsNameTheProblem() {
        XCTAssertThrowsError(try DatabaseURL("mysql://lab@h/db")) { XCTAssertTrue("\($0)".contains("expected postgres://")) }
        XCTAssertThrowsError(try DatabaseURL("postgres://h:5432/db")) { XCTAssertTrue("\($0)".contains("missing user")) }
        XCTAssertThrowsError(try DatabaseURL("postgres://lab@h/db?port=x")) { XCTAssertTrue("\($0)".contains("port 'x'")) }
    }
}
