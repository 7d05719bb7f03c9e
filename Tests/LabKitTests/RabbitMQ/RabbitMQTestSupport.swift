import Foundation
import LabControl
import XCTest

@testable import LabKit

/// One real RabbitMQ node for every client test of this process (a node takes seconds to boot):
/// started on first use from a template kept in /tmp between runs, stopped by its parent-death
/// signal when the test process ends. Each test uses queues of its own.
enum SharedRabbitMQ {
    private static let node = Task { () throws -> RabbitMQServer in
        let scratch = try makeScratchDirectory("rabbitmq-test")
        let cache = URL(fileURLWithPath: "/tmp/labkit-tests-cache", isDirectory: true)
        return try await RabbitMQServer.start(directory: scratch, template: RabbitMQNodeTemplate(cache: cache))
    }

    static func url() async throws -> String { try await node.value.url }
}

/// A queue name no other test uses.
func uniqueQueue(_ base: String = #function) -> String {
    "\(base.prefix { $0.isLetter })-\(UUID().uuidString.prefix(8))"
}

/// Waits until `condition` holds (polling), failing after `timeout`.
func eventually(
    timeout: Duration = .seconds(15), file: StaticString = #filePath, line: UInt = #line, _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    XCTFail("condition not met within \(timeout)", file: file, line: line)
}
