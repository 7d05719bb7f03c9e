import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What `labctl verify` runs: each lab's comparison at its own test scale (its lab.yaml's `test:`
/// section), or at full length, longest first so that the labs running side by side finish together.
public struct VerificationPlan: Sendable {
    public struct Job: Sendable {
        public let entry: LabCatalog.Entry
        public let durationScale: Double
        public let variants: [String]
        /// About how long the comparison takes on an idle machine (for ordering and the ETA).
        public let estimatedSeconds: Double
        /// `07-circuit-breakers`
        public var name: String { entry.directoryName }
    }

    public let jobs: [Job]

    /// Seconds each variant costs besides its scenario: Prometheus's first scrape of new targets
    /// (about 5 s after it starts, everything else starts meanwhile), settling, stopping.
    public static let fixedSecondsPerVariant = 7.0

    public init(entries: [LabCatalog.Entry], full: Bool) {
        jobs = entries.map { entry in
            let test = entry.manifest.test
            let scale = full ? 1 : test.durationScale
            let variants = full ? entry.manifest.variantNames : (test.variants ?? entry.manifest.variantNames)
            let scenario = (entry.manifest.scenario?.totalSeconds ?? 0) * scale
            return Job(
                entry: entry, durationScale: scale, variants: variants,
                estimatedSeconds: Double(variants.count) * (scenario + Self.fixedSecondsPerVariant))
        }.sorted { ($0.estimatedSeconds, $1.name) > ($1.estimatedSeconds, $0.name) }
    }

    /// The ports lab number `index` may use: 500 of them, below the kernel's ephemeral range, so
    /// labs running at the same time (consecutive indexes) never share one. The blocks start at one
    /// chosen by this process's id, so two verifies on one machine (two people's worktrees, CI and a
    /// developer) rarely start in the same block; `LAB_VERIFY_PORT_OFFSET=N` picks the first block.
    public static func portRange(forJob index: Int, offset: Int = portOffset) -> ClosedRange<Int> {
        let first = 10_000 + ((index + offset) % 45) * 500
        return first...(first + 499)
    }

    /// The block of job 0: `LAB_VERIFY_PORT_OFFSET`, else chosen by process id.
    public static let portOffset: Int = {
        if let text = ProcessInfo.processInfo.environment["LAB_VERIFY_PORT_OFFSET"], let offset = Int(text), offset >= 0 {
            return offset % 45
        }
        return Int(getpid() % 45)
    }()
}
