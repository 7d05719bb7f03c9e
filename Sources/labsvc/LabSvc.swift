import ArgumentParser
import Foundation
import LabKit
import Labs

/// `labsvc`: one binary that runs any service of any lab (`labsvc week07 client`).
/// Running a service is the default subcommand, so `labsvc <lab> <role>` needs no verb, while
/// `labsvc proxy …` reaches the fault proxy. (Positional arguments on the root command itself
/// would swallow the word `proxy` as a lab name.)
@main
struct LabSvc: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labsvc",
        abstract: "Run one service of a Distributed Lab lab, or the fault proxy.",
        subcommands: [ServiceCommand.self] + LabSvc.extraSubcommands,
        defaultSubcommand: ServiceCommand.self
    )
}

/// `labsvc <lab> <role>`: run one service of a lab.
struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract: "Run one service of a Distributed Lab lab.",
        discussion: """
            Configuration comes from the environment: the service's knobs (`labsvc knobs <lab> <role>` \
            lists them; a value that is not allowed stops the service at start), HOST, PORT, LOG_LEVEL, \
            <PEER>_URL, REDIS_URL, DATABASE_URL, LAB_CONFIG (JSON run-time config), LAB_ADMIN_TOKEN, and the \
            standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, ...).
            """
    )

    @Argument(help: "The lab (week number, weekNN or slug).") var lab: String?
    @Argument(help: "The service role within the lab.") var role: String?
    @Flag(help: "List every lab and its service roles.") var list = false

    func run() async throws {
        let registry = Labs.registry
        if list {
            print(registry.listing)
            return
        }
        guard let lab, let role else {
            fail("usage: labsvc <lab> <role> (labsvc --list shows them)", code: 2)
        }
        let service: LabService
        do {
            service = try await registry.makeService(lab: lab, role: role, environment: ProcessInfo.processInfo.environment)
        } catch let error as LabServiceRegistry.LookupError {
            fail("labsvc: \(error)", code: 2)
        } catch {
            // Configuration problems (a knob's value, a malformed URL, a missing <PEER>_URL): one line, no stack trace.
            fail("labsvc \(lab) \(role): \(error)", code: 1)
        }
        try await service.run()
    }

    private func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        ServiceCommand.exit(withError: ExitCode(code))
    }
}
