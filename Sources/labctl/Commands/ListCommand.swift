import ArgumentParser

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The lab catalog: id, title, infrastructure, status.")
    func run() async throws { throw NotImplementedYet(command: "list") }
}
