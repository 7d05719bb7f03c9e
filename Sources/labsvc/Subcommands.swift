import ArgumentParser

extension LabSvc {
    /// Subcommands besides running a lab service. `proxy` (the fault-injecting TCP proxy) joins
    /// here once Sources/labsvc/ProxyCommand.swift exists.
    static var extraSubcommands: [any ParsableCommand.Type] { [] }
}
