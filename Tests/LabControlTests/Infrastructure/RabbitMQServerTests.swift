import Foundation
import XCTest

@testable import LabControl
@testable import LabKit

/// A private RabbitMQ node: it boots from a copied template, answers AMQP and serves its Prometheus
/// metrics, runs as the `rabbitmq` account when we are root, and leaves no process behind.
final class RabbitMQServerTests: XCTestCase {
    func testNodeAnswersAMQPServesMetricsAndStopsWithoutLeftovers() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let node = try await RabbitMQServer.start(
            directory: dir.url.appendingPathComponent("rabbitmq"),
            template: RabbitMQNodeTemplate(cache: dir.url.appendingPathComponent("cache")))
        XCTAssertTrue(node.startup.fromTemplate, "the data directory is a copy of the prepared node")
        XCTAssertEqual(node.url, "amqp://lab:lab@127.0.0.1:\(node.amqpPort)/")
        XCTAssertTrue(RabbitMQServer.acceptsAMQP(port: node.amqpPort))

        // Its own epmd on its own port, and the node registered there: nothing on the shared 4369.
        let names = Probe.exchange(port: node.epmdPort, request: [0, 1, 110]) // EPMD_NAMES_REQ
        XCTAssertTrue(names?.contains("name lab at port \(node.distributionPort)") == true, names ?? "no answer from epmd")

        // A real client declares, publishes and reads the depth back; the broker's metrics see it.
        let client = try RabbitMQClient(url: node.url, connections: 1)
        try await client.declare(RabbitMQTopology(queues: [.classic("probe")]))
        let outcome = try await client.publish(RabbitMQMessage("{}"), routingKey: "probe")
        XCTAssertEqual(outcome, .confirmed)
        let depth = try await client.queueDepth("probe")
        XCTAssertEqual(depth.messages, 1)
        await client.shutdown()
        try await waitUntil(timeout: .seconds(30)) {
            Probe.httpGet(port: node.prometheusPort, path: "/metrics/per-object", timeout: .seconds(5))?.body
                .contains(#"rabbitmq_queue_messages_ready{vhost="/",queue="probe"} 1"#) == true
        }

        let beam = try XCTUnwrap(ProcessTable.members(ofGroup: node.process.pgid).first { $0.executable?.hasSuffix("beam.smp") == true })
        if geteuid() == 0 {
            XCTAssertEqual(ownerUID(of: beam.pid), SystemUser.named("rabbitmq")?.uid, "as root, the node runs as the rabbitmq account")
        }

        await node.stop()
        XCTAssertEqual(node.process.exitStatus, .exited(0), "the script stops the node gracefully and exits 0")
        for process in [node.process, node.epmd] {
            XCTAssertNil(ProcessTable.entry(process.pid), "\(process.name) left a process or zombie")
            XCTAssertEqual(ProcessTable.members(ofGroup: process.pgid), [])
        }
        XCTAssertNil(ProcessTable.entry(beam.pid), "the Erlang VM is gone")
        XCTAssertEqual(ProcessTable.processes(referencing: dir.url.path), [])
        for port in [node.amqpPort, node.epmdPort, node.distributionPort, node.prometheusPort] {
            XCTAssertFalse(FreePort.isListening(port), "port \(port) still open")
        }
    }

    func testMissingBrokerNamesTheDebianPackage() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        do {
            _ = try await RabbitMQServer.start(directory: dir.url, locator: ProgramLocator(searchDirectories: [dir.url]))
            XCTFail("without rabbitmq-server the start must fail")
        } catch let error as MissingProgramError {
            XCTAssertEqual(
                "\(error)", "rabbitmq-server not found: install the Debian package 'rabbitmq-server' (apt-get install rabbitmq-server)")
        }
    }

    func testConfigurationIsErlangTermsWithOurPorts() {
        let config = RabbitMQServer.configuration(ports: .init(amqp: 1001, distribution: 1002, epmd: 1003, prometheus: 1004))
        XCTAssertTrue(config.contains(#"{tcp_listeners, [{"127.0.0.1", 1001}]}"#), config)
        XCTAssertTrue(config.contains(#"{tcp_config, [{ip, "127.0.0.1"}, {port, 1004}]}"#), config)
        XCTAssertTrue(config.hasSuffix("].\n\n") || config.hasSuffix("].\n"), "an Erlang term file ends with '.'")
    }

    private func ownerUID(of pid: Int32) -> uid_t? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }
        return line?.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { uid_t($0) }
    }
}
