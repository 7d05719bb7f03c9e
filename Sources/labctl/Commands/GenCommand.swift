import ArgumentParser

struct GenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gen", abstract: "Regenerate files derived from lab manifests.")
    @Flag(help: "Fail and name the stale files instead of writing them.") var check = false
    func run() async throws { throw NotImplementedYet(command: "gen") }
}
