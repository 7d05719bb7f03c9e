import ArgumentParser

struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop the running lab and everything it started.")
    func run() async throws { throw NotImplementedYet(command: "down") }
}
