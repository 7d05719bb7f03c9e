import LabKit
import Metrics

/// Publishes Redis's own per-command latency percentiles (`INFO latencystats`: the time the server
/// spent executing, without the network, the client's threads or this process being descheduled)
/// as `redis_server_command_latency_seconds{command,quantile}`.
enum RedisLatencyWatcher {
    static func start(_ redis: RedisClient, commands: [String], every interval: Duration = .seconds(1)) {
        Task {
            while !Task.isCancelled {
                if let latencies = try? await redis.serverLatencyPercentiles() {
                    for command in commands {
                        for (quantile, duration) in latencies[command] ?? [:] {
                            Gauge(
                                label: "redis_server_command_latency_seconds", dimensions: [("command", command), ("quantile", quantile)]
                            )
                            .record(duration.inSeconds)
                        }
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
