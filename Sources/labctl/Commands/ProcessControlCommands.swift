import ArgumentParser
import LabControl

/// `labctl kill|stop|cont|restart <service>`: process faults on the running lab, performed by the
/// `labctl up` that supervises it.
protocol ProcessControlCommand: AsyncParsableCommand {
    static var verb: ControlChannel.Verb { get }
    var service: String { get }
    var locations: LabLocations { get }
}

extension ProcessControlCommand {
    func run() async throws {
        do {
            print(try await ControlChannel.send(Self.verb, service: service, stateDirectory: locations.stateDirectory))
        } catch let error as RuntimeError {
            throw Failure(error.description)
        }
    }
}

struct KillCommand: ProcessControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill", abstract: "SIGKILL a service (every replica, or e.g. backend-2): a crash.")
    static let verb = ControlChannel.Verb.kill
    @Argument(help: "The service: a role (backend) or one replica (backend-2).") var service: String
    @OptionGroup var locations: LabLocations
}

struct StopCommand: ProcessControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "SIGSTOP a service: alive but answering nothing (a hang).")
    static let verb = ControlChannel.Verb.stop
    @Argument(help: "The service: a role (backend) or one replica (backend-2).") var service: String
    @OptionGroup var locations: LabLocations
}

struct ContCommand: ProcessControlCommand {
    static let configuration = CommandConfiguration(commandName: "cont", abstract: "SIGCONT a stopped service.")
    static let verb = ControlChannel.Verb.cont
    @Argument(help: "The service: a role (backend) or one replica (backend-2).") var service: String
    @OptionGroup var locations: LabLocations
}

struct RestartCommand: ProcessControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Restart a service on the same port and wait until it is ready.")
    static let verb = ControlChannel.Verb.restart
    @Argument(help: "The service: a role (backend) or one replica (backend-2).") var service: String
    @OptionGroup var locations: LabLocations
}
