import ArgumentParser
import LabControl

/// `labctl down`: stop the running lab (from any terminal) and leave no process.
struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop the running lab and everything it started.")
    @OptionGroup var locations: LabLocations

    func run() async throws {
        if let stopped = await LabRuntime.down(stateDirectory: locations.stateDirectory, log: note) {
            print("stopped \(stopped.lab) (\(stopped.variant))")
        } else {
            print("nothing is running")
        }
    }
}
