import ArgumentParser
import Foundation
import LabControl

#if canImport(Glibc)
import Glibc
#endif

/// What `labctl run` and `labctl compare` share: finding the lab, the runtime options, the live
/// progress line, and printing the results.
enum Experiment {
    static func entry(_ name: String, locations: LabLocations) throws -> LabCatalog.Entry {
        try locations.catalog().resolve(name)
    }

    static func options(locations: LabLocations, quiet: Bool) throws -> RuntimeOptions {
        let log: @Sendable (String) -> Void = { line in
            if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        return RuntimeOptions(stateDirectory: locations.stateDirectory, log: log)
    }

    /// `--duration-scale` within `LabLimits.durationScales` (a usage error otherwise).
    static func validate(durationScale: Double) throws {
        if let problem = LabLimits.problem(withDurationScale: durationScale) { throw ValidationError(problem) }
    }

    /// On a terminal the progress line redraws in place; in a log it is printed every 5 seconds.
    static func progressPrinter(quiet: Bool) -> (@Sendable (String) -> Void)? {
        if quiet { return nil }
        if isatty(STDERR_FILENO) == 1 {
            return { line in FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8)) }
        }
        let counter = Counter()
        return { line in
            if counter.next() % 5 == 0 { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
    }

    /// Why `compare` refuses to run `entry` at `durationScale`, or nil when the scale is long enough.
    static func scaleRefusal(_ entry: LabCatalog.Entry, durationScale: Double) -> String? {
        let minimum = entry.manifest.test.minDurationScale
        guard durationScale < minimum - 1e-9 else { return nil }
        let absolute = entry.manifest.expectations.filter { $0.parsed.variants.count == 1 }.map { "\($0.measurement): \($0.check)" }
        return """
            \(entry.directoryName) needs --duration-scale \(minimum) or more (its lab.yaml's test.min_duration_scale): \
            in a shorter run its effect has too little time to build up\
            \(absolute.isEmpty ? "" : ", and absolute expectations such as \(absolute.prefix(2).joined(separator: "; ")) are not reached"). \
            Such a run would fail for lack of time, not because the lesson is wrong. Use --duration-scale \(minimum) or more, \
            or --force to run it anyway.
            """
    }

    static func printJSON(_ object: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value - 1
        }
    }
}
