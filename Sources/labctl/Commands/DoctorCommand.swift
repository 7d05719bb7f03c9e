import ArgumentParser

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "doctor", abstract: "What is installed, and what each lab still needs.")
    func run() async throws { throw NotImplementedYet(command: "doctor") }
}
