import ArgumentParser

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show a service's log.")
    @Argument(help: "The service, e.g. gateway or backend-2.") var service: String
    @Flag(name: .shortAndLong, help: "Keep printing as the log grows.") var follow = false
    func run() async throws { throw NotImplementedYet(command: "logs") }
}
