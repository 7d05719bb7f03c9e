import ArgumentParser

struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare", abstract: "Run every variant and check the lab's expectations (exit 0 only if all hold).")
    @Argument(help: "The lab: week number (7, week07) or slug.") var lab: String
    @Option(name: .customLong("duration-scale"), help: "Multiply every phase duration by this factor.") var durationScale: Double = 1
    @Flag(help: "Print the results as JSON.") var json = false
    func run() async throws { throw NotImplementedYet(command: "compare") }
}
