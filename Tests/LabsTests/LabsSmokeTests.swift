import XCTest
@testable import Labs

final class LabsSmokeTests: XCTestCase {
    func testModuleLinks() {}
}
