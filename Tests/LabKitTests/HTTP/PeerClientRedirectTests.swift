import HTTPTypes
import XCTest

@testable import LabKit

/// A redirect is followed by default; with `followsRedirects = false` the 3xx comes back as it is.
final class PeerClientRedirectTests: XCTestCase {
    func testARedirectIsFollowedOrReturned() async throws {
        let peer = try await RunningService.start(name: "redirecting-peer") { service in
            service.router.get("/short") { _, _ -> Response in
                Response(status: .found, headers: [.location: "/long"])
            }
            service.router.get("/long") { _, _ -> JSONValue in ["at": "long"] }
        }
        addTeardownBlock { await peer.stop() }

        let following = PeerClient(name: "peer", baseURL: peer.baseURL)
        let followed = try await following.get("/short")
        XCTAssertEqual(followed.status, 200)
        XCTAssertEqual(followed.json["at"]?.stringValue, "long")

        var notFollowing = PeerClient(name: "peer", baseURL: peer.baseURL)
        notFollowing.followsRedirects = false
        let redirect = try await notFollowing.get("/short")
        XCTAssertEqual(redirect.status, 302)
        XCTAssertEqual(redirect.headers["location"].first, "/long")
    }
}
