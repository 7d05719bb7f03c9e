import ArgumentParser

extension LabSvc {
    /// Subcommands besides running a lab service: `labsvc proxy …`, the fault-injecting TCP proxy
    /// in front of infrastructure (ProxyCommand.swift), and `labsvc knobs …`, what each service reads
    /// from its environment (KnobsCommand.swift).
    static var extraSubcommands: [any ParsableCommand.Type] { [ProxyCommand.self, KnobsCommand.self] }
}
