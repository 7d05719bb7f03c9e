import ArgumentParser
import LabControl

/// `labctl`: the control plane CLI. Each subcommand lives in its own file under Sources/labctl/Commands.
@main
struct LabCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labctl",
        abstract: "Run, observe and compare Distributed Lab labs.",
        discussion: """
            A lab is named by week (7, week07) or by slug (circuit-breakers).
            Without Docker, labs run natively: real redis-server, PostgreSQL and Prometheus
            processes under .lab/, with an embedded OTLP receiver and trace store.
            """,
        subcommands: [
            ListCommand.self, UpCommand.self, DownCommand.self, RunCommand.self, CompareCommand.self, VerifyCommand.self, NewCommand.self,
            TracesCommand.self, ConsoleCommand.self, GenCommand.self, DoctorCommand.self, LogsCommand.self,
            KillCommand.self, StopCommand.self, ContCommand.self, RestartCommand.self, ChaosCommand.self,
        ]
    )
}
