import ArgumentParser

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run one variant's scenario and print its measurements.")
    @Argument(help: "The lab: week number (7, week07) or slug.") var lab: String
    @Option(help: "The variant to run.") var variant: String = "before"
    @Option(name: .customLong("duration-scale"), help: "Multiply every phase duration by this factor.") var durationScale: Double = 1
    @Flag(help: "Print the results as JSON.") var json = false
    func run() async throws { throw NotImplementedYet(command: "run") }
}
