import ArgumentParser
import LabKit
import Labs

/// `labsvc`: one binary that runs any service of any lab (`labsvc week07 client`).
@main
struct LabSvc: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labsvc",
        abstract: "Run one service of a Distributed Lab lab.",
        discussion: """
            Configuration comes from the environment: PORT, <PEER>_URL, REDIS_URL, DATABASE_URL,
            and the standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, ...).
            """
    )

    @Argument(help: "The lab (week number or slug).") var lab: String?
    @Argument(help: "The service role within the lab.") var role: String?
    @Flag(help: "List every lab and its service roles.") var list = false

    func run() async throws {
        throw ValidationError("labsvc: no lab services are registered yet")
    }
}
