import ArgumentParser

extension LabSvc {
    /// Subcommands besides running a lab service: `labsvc proxy …`, the fault-injecting TCP proxy
    /// in front of infrastructure (ProxyCommand.swift).
    static var extraSubcommands: [any ParsableCommand.Type] { [ProxyCommand.self] }
}
