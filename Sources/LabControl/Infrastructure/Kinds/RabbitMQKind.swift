import Foundation
import LabKit

/// `kind: rabbitmq`: a private RabbitMQ node (its own epmd, ports and data directory under `.lab/`)
/// → `RABBITMQ_URL=amqp://lab:lab@127.0.0.1:P/`. Prometheus scrapes the node's own metrics
/// (`rabbitmq_queue_messages_ready{queue}`, …) as job `<name>`.
///
/// Scenario commands (`infra: {name: queue, command: …, args: {queue: tasks}}`): `purge` empties a
/// queue, `depth` logs its ready messages and consumers.
struct RabbitMQKind: InfrastructureKind {
    var name: String { "rabbitmq" }
    var programs: [String] { ["rabbitmq-server", "epmd"] }
    var conventionalURLVariable: String? { "RABBITMQ_URL" }

    func start(_ item: InfrastructureSpec, _ context: InfrastructureContext) async throws -> StartedInfrastructure {
        let node = try await RabbitMQServer.start(
            directory: context.directory, locator: context.locator, timeout: max(context.readyTimeout, .seconds(120)),
            template: context.cacheDirectory.map { RabbitMQNodeTemplate(cache: $0) })
        context.log(
            "\(item.name): rabbitmq-server ready in \(String(format: "%.1f", node.startup.seconds)) s"
                + (node.startup.fromTemplate ? " (prepared node copied)" : ""))
        let url = node.url
        return StartedInfrastructure(
            url: url, processes: [node.process, node.epmd],
            scrapeJobs: [
                PrometheusScrapeJob(name: item.name, targets: ["127.0.0.1:\(node.prometheusPort)"], metricsPath: "/metrics/per-object")
            ],
            endpoints: ["\(item.name)-metrics": node.metricsURL],
            stop: { await node.stop() },
            command: { name, arguments in try await Self.command(name, arguments, url: url) })
    }

    /// What an `infra` action can ask of the broker, over AMQP.
    static func command(_ name: String, _ arguments: JSONValue, url: String) async throws -> String {
        guard case .object(let fields) = arguments, let queue = fields["queue"]?.stringValue else {
            throw RuntimeError("rabbitmq: '\(name)' needs args: {queue: <name>}")
        }
        let client = try RabbitMQClient(url: url, connections: 1)
        do {
            let answer: String
            switch name {
            case "purge":
                answer = "purged \(try await client.purgeQueue(queue)) messages from \(queue)"
            case "depth":
                let depth = try await client.queueDepth(queue)
                answer = "\(queue): \(depth.messages) ready, \(depth.consumers) consumers"
            default:
                throw RuntimeError("rabbitmq understands the commands purge and depth (args: {queue: <name>}), not '\(name)'")
            }
            await client.shutdown()
            return answer
        } catch {
            await client.shutdown()
            throw error
        }
    }

    func composeImage(_ item: InfrastructureSpec) -> ComposeImages? {
        ComposeImages(
            image: "rabbitmq:3.10.8", port: 5672, urlScheme: "amqp",
            urlUserInfo: "\(RabbitMQServer.user):\(RabbitMQServer.password)", urlPath: "/",
            healthcheck: "rabbitmq-diagnostics -q check_port_connectivity",
            environment: [
                "RABBITMQ_DEFAULT_USER": RabbitMQServer.user, "RABBITMQ_DEFAULT_PASS": RabbitMQServer.password,
                "RABBITMQ_ENABLED_PLUGINS": RabbitMQServer.plugins.joined(separator: ","),
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-rabbit collect_statistics_interval 1000",
            ],
            metrics: .init(port: 15692, path: "/metrics/per-object"))
    }
}
