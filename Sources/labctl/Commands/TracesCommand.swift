import ArgumentParser

struct TracesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "traces", abstract: "Show stored traces: recent, slowest, or one as a waterfall.")
    @Option(help: "Only traces of this lab.") var lab: String?
    @Option(help: "Show the N slowest traces.") var slowest: Int?
    @Option(help: "Print this trace as a waterfall.") var trace: String?
    func run() async throws { throw NotImplementedYet(command: "traces") }
}
