import Foundation

/// The labs under a `labs/` directory: one `<NN>-<slug>/lab.yaml` each.
///
/// A lab is named by week (`7`, `07`, `week07`), by slug (`circuit-breakers`), by its id
/// (`selftest`) or by its directory name (`07-circuit-breakers`).
/// Manifests that do not parse are kept as `problems` so one broken lab does not hide the others.
public struct LabCatalog: Sendable {
    public struct Entry: Sendable {
        public let manifest: LabManifest
        /// labs/<NN>-<slug>/
        public let directory: URL
        public var manifestFile: URL { directory.appendingPathComponent("lab.yaml") }
        /// `07-circuit-breakers`
        public var directoryName: String { directory.lastPathComponent }
    }

    public let root: URL
    /// Valid labs, by week then slug.
    public let labs: [Entry]
    public let problems: [ManifestError]

    /// Loads every `*/lab.yaml` under `root`.
    public static func load(root: URL) throws -> LabCatalog {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CatalogError.noLabsDirectory(root.path)
        }
        var labs: [Entry] = []
        var problems: [ManifestError] = []
        let names = try files.contentsOfDirectory(atPath: root.path).sorted()
        for name in names {
            let directory = root.appendingPathComponent(name, isDirectory: true)
            let manifestFile = directory.appendingPathComponent("lab.yaml")
            guard files.fileExists(atPath: manifestFile.path) else { continue }
            let display = "\(root.lastPathComponent)/\(name)/lab.yaml"
            do {
                let manifest = try ManifestParser.load(manifestFile, displayName: display)
                let expected = String(format: "%02d-%@", manifest.week, manifest.slug)
                guard name == expected else {
                    problems.append(ManifestError(
                        file: display, line: 1, field: "slug",
                        message: "the directory is '\(name)' but week \(manifest.week) and slug '\(manifest.slug)' make '\(expected)'"))
                    continue
                }
                labs.append(Entry(manifest: manifest, directory: directory))
            } catch let error as ManifestError {
                problems.append(error)
            }
        }
        labs.sort { ($0.manifest.week, $0.manifest.slug) < ($1.manifest.week, $1.manifest.slug) }
        return LabCatalog(root: root, labs: labs, problems: problems)
    }

    /// The lab called `name`, or an error that lists what exists.
    public func resolve(_ name: String) throws -> Entry {
        let matches = labs.filter { Self.matches(name, $0) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 {
            throw CatalogError.ambiguous(name, matches.map(\.directoryName))
        }
        if let broken = problems.first(where: { $0.file.contains("/\(name)") || $0.file.contains("-\(name)/") }) {
            throw CatalogError.invalidManifest(broken)
        }
        let known = labs.flatMap { [$0.manifest.slug, $0.manifest.id] }
        throw CatalogError.unknownLab(name, suggestion: DidYouMean.suggestion(for: name, among: known), known: labs.map(\.directoryName))
    }

    static func matches(_ name: String, _ entry: Entry) -> Bool {
        let lab = entry.manifest
        let lowered = name.lowercased()
        if lowered == lab.slug || lowered == lab.id || lowered == entry.directoryName { return true }
        var digits = Substring(lowered)
        if digits.hasPrefix("week") { digits = digits.dropFirst(4) }
        return !digits.isEmpty && digits.allSatisfy(\.isNumber) && Int(digits) == lab.week
    }

    /// Where labs live: `override` (--labs-dir), else $LAB_LABS_DIR, else the first `labs/` found
    /// in the current directory or its parents, else next to the executable's package.
    public static func defaultRoot(override: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let override, !override.isEmpty { return URL(fileURLWithPath: override, isDirectory: true).standardizedFileURL }
        if let fromEnvironment = environment["LAB_LABS_DIR"], !fromEnvironment.isEmpty {
            return URL(fileURLWithPath: fromEnvironment, isDirectory: true).standardizedFileURL
        }
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        while true {
            let candidate = directory.appendingPathComponent("labs", isDirectory: true)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true).appendingPathComponent("labs")
    }
}

public enum CatalogError: Error, CustomStringConvertible, Equatable {
    case noLabsDirectory(String)
    case unknownLab(String, suggestion: String?, known: [String])
    case ambiguous(String, [String])
    case invalidManifest(ManifestError)

    public var description: String {
        switch self {
        case .noLabsDirectory(let path):
            "no labs directory at \(path) (run from the repository, or pass --labs-dir / set LAB_LABS_DIR)"
        case .unknownLab(let name, let suggestion, let known):
            "no lab named '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
                + (known.isEmpty ? " (the catalog is empty)" : " (labs: \(known.joined(separator: ", ")))")
        case .ambiguous(let name, let matches):
            "'\(name)' names several labs: \(matches.joined(separator: ", "))"
        case .invalidManifest(let error):
            "\(error)"
        }
    }
}
