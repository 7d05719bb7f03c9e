/// Whether a lab can run natively on this machine: its infrastructure kinds are supported and
/// the programs they need are installed.
public struct NativeSupport: Sendable, Equatable {
    /// Infrastructure the native runtime cannot start yet (rabbitmq, nginx, …).
    public var unsupported: [String]
    /// Programs the lab needs that are not installed, with their Debian packages.
    public var missing: [MissingProgramError]

    public var runs: Bool { unsupported.isEmpty && missing.isEmpty }

    /// One short phrase for tables: "yes", "no: install redis-server", "no: rabbitmq not native yet".
    public var summary: String {
        if runs { return "yes" }
        var reasons: [String] = []
        if !unsupported.isEmpty { reasons.append("\(unsupported.joined(separator: ", ")) not native yet") }
        let packages = Array(Set(missing.map(\.package))).sorted()
        if !packages.isEmpty { reasons.append("install \(packages.joined(separator: " "))") }
        return "no: " + reasons.joined(separator: "; ")
    }

    /// Every lab runs `labsvc` and Prometheus (scraping is how labs are observed).
    public static let alwaysNeeded = ["prometheus"]

    public static func check(_ manifest: LabManifest, locator: ProgramLocator = .standard) -> NativeSupport {
        let unsupported = manifest.infrastructure.filter { !$0.kind.runsNatively }.map(\.kind.description)
        var programs = alwaysNeeded
        for item in manifest.infrastructure where item.kind.runsNatively {
            programs += item.kind.programs
        }
        var seen = Set<String>()
        let missing = programs.filter { seen.insert($0).inserted && locator.locate($0) == nil }.map(MissingProgramError.init)
        return NativeSupport(unsupported: unsupported, missing: missing)
    }
}
