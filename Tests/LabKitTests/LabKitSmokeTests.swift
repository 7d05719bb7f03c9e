import XCTest

@testable import LabKit

final class LabKitSmokeTests: XCTestCase {
    func testModuleLinks() {}
}
