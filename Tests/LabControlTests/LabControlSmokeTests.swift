import XCTest

@testable import LabControl

final class LabControlSmokeTests: XCTestCase {
    func testModuleLinks() {}
}
