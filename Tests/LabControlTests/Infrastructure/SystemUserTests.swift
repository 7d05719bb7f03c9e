import XCTest

@testable import LabControl

/// Accounts are looked up from several tasks at once when kinds start in parallel.
final class SystemUserTests: XCTestCase {
    func testConcurrentLookupsEachGetTheirOwnAccount() async throws {
        guard let root = SystemUser.named("root"), let nobody = SystemUser.named("nobody") else {
            throw XCTSkip("no root or nobody account")
        }
        XCTAssertEqual(root.uid, 0)
        XCTAssertNotEqual(nobody.uid, 0)
        let mixedUp = await withTaskGroup(of: Int.self) { group in
            for name in ["root", "nobody"] {
                let expected = name == "root" ? root : nobody
                group.addTask {
                    var wrong = 0
                    for _ in 0..<5_000 where SystemUser.named(name) != expected { wrong += 1 }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        XCTAssertEqual(mixedUp, 0, "lookups answered with another account's ids")
        XCTAssertNil(SystemUser.named("no-such-account-\(UUID().uuidString.prefix(6))"))
    }
}
