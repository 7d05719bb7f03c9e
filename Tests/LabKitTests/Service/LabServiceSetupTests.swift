import Foundation
import Synchronization
import XCTest

@testable import LabKit

/// A setup step keeps /readyz at 503 (naming the step and its progress) until it is done, while the
/// service already answers; its duration is a gauge; a failed step stops the service.
final class LabServiceSetupTests: XCTestCase {
    func testReadyOnlyOnceTheSetupIsDone() async throws {
        let (release, releaseSink) = AsyncStream.makeStream(of: Void.self)
        let service = try await RunningService.start(name: "setup-service") { service in
            service.addSetup("loading") { progress in
                progress.report("3 of 10 batches")
                for await _ in release { break }
            }
        }
        addTeardownBlock { await service.stop() }

        let loading = try await http(.GET, service.baseURL + "/readyz")
        XCTAssertEqual(loading.status, 503)
        XCTAssertTrue(loading.body.contains("loading: 3 of 10 batches"), loading.body)
        let health = try await http(.GET, service.baseURL + "/healthz")
        XCTAssertEqual(health.status, 200, "the service answers while it loads")

        releaseSink.yield()
        var ready = try await http(.GET, service.baseURL + "/readyz")
        for _ in 0..<50 where ready.status != 200 {
            try await Task.sleep(for: .milliseconds(50))
            ready = try await http(.GET, service.baseURL + "/readyz")
        }
        XCTAssertEqual(ready.status, 200, ready.body)
        let metrics = try await http(.GET, service.baseURL + "/metrics")
        XCTAssertTrue(metrics.body.contains(#"lab_setup_duration_seconds{step="loading"}"#), metrics.body)
    }

    func testAFailedSetupStopsTheService() async throws {
        struct Broken: Error {}
        let service = try LabService(name: "broken-setup", environment: ["PORT": "0"])
        service.addSetup("doomed") { _ in throw Broken() }
        let finished = Task { try await service.run() }
        let outcome = await Task {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await finished.value }
                    group.addTask {
                        try await Task.sleep(for: .seconds(20))
                        throw CancellationError()
                    }
                    try await group.next()
                    group.cancelAll()
                }
                return "returned"
            } catch is CancellationError {
                finished.cancel()
                return "still running after 20 s"
            } catch {
                return "failed: \(error)"
            }
        }.value
        XCTAssertTrue(outcome.hasPrefix("failed"), outcome)
    }
}
