import ArgumentParser

struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "up", abstract: "Start a lab and stay up (Ctrl-C stops everything).")
    @Argument(help: "The lab: week number (7, week07) or slug.") var lab: String
    @Option(help: "The variant to start.") var variant: String = "before"
    func run() async throws { throw NotImplementedYet(command: "up") }
}
