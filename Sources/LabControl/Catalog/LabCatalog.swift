import Foundation

/// The labs under a `labs/` directory: one `<NN>-<slug>/lab.yaml` each.
///
/// A lab is named by week (`7`, `07`, `week07`), by slug (`circuit-breakers`), by its id
/// (`selftest`) or by its directory name (`07-circuit-breakers`), exactly (no substring matches).
/// Manifests that do not load are kept as `broken` labs, named the same way, so one broken lab does
/// not hide the others and naming it shows its own error.
public struct LabCatalog: Sendable {
    public struct Entry: Sendable {
        public let manifest: LabManifest
        /// labs/<NN>-<slug>/
        public let directory: URL
        public var manifestFile: URL { directory.appendingPathComponent("lab.yaml") }
        /// `07-circuit-breakers`
        public var directoryName: String { directory.lastPathComponent }
    }

    /// A lab whose manifest does not load: its directory and why.
    public struct BrokenLab: Sendable {
        /// `07-circuit-breakers`
        public let directoryName: String
        public let error: ManifestError
        /// The manifest when it parsed but is wrong in its place (week and slug disagree with the directory).
        public let manifest: LabManifest?
    }

    public let root: URL
    /// Valid labs, by week then slug.
    public let labs: [Entry]
    /// Labs that do not load, in directory order.
    public let broken: [BrokenLab]
    public var problems: [ManifestError] { broken.map(\.error) }

    public init(root: URL, labs: [Entry], broken: [BrokenLab]) {
        self.root = root
        self.labs = labs
        self.broken = broken
    }

    /// A catalog from valid labs and problems; each problem's lab is the directory its file lies in.
    public init(root: URL, labs: [Entry], problems: [ManifestError]) {
        let broken = problems.map { problem in
            BrokenLab(
                directoryName: URL(fileURLWithPath: problem.file).deletingLastPathComponent().lastPathComponent, error: problem,
                manifest: nil)
        }
        self.init(root: root, labs: labs, broken: broken)
    }

    /// Loads every `*/lab.yaml` under `root`. A manifest that cannot be read or parsed (not UTF-8,
    /// bad YAML, a wrong field) makes that lab broken, never the catalog. With `promql`, every
    /// PromQL expression of the valid labs is parsed at once (one `promtool` run), and labs with an
    /// expression that does not parse are broken too.
    public static func load(root: URL, promql: PromQLChecker? = .standard) throws -> LabCatalog {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CatalogError.noLabsDirectory(root.path)
        }
        var labs: [Entry] = []
        var broken: [BrokenLab] = []
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
                    broken.append(
                        BrokenLab(
                            directoryName: name,
                            error: ManifestError(
                                file: display, line: 1, field: "slug",
                                message:
                                    "the directory is '\(name)' but week \(manifest.week) and slug '\(manifest.slug)' make '\(expected)'"),
                            manifest: manifest))
                    continue
                }
                labs.append(Entry(manifest: manifest, directory: directory))
            } catch let error as ManifestError {
                broken.append(BrokenLab(directoryName: name, error: error, manifest: nil))
            } catch {
                // Not a manifest problem as such (unreadable file): still this lab's alone.
                broken.append(
                    BrokenLab(
                        directoryName: name, error: ManifestError(file: display, line: 1, field: "", message: "cannot read: \(error)"),
                        manifest: nil))
            }
        }
        if let promql {
            // One promtool run for the whole catalog; a lab with a bad expression is broken by its first.
            let failures = Dictionary(grouping: promql.check(labs.flatMap(\.manifest.promqlExpressions)), by: \.file)
            var parsing: [Entry] = []
            for entry in labs {
                if let first = entry.manifest.promqlExpressions.first.flatMap({ failures[$0.file]?.first }) {
                    broken.append(BrokenLab(directoryName: entry.directoryName, error: first, manifest: entry.manifest))
                } else {
                    parsing.append(entry)
                }
            }
            labs = parsing
        }
        labs.sort { ($0.manifest.week, $0.manifest.slug) < ($1.manifest.week, $1.manifest.slug) }
        broken.sort { $0.directoryName < $1.directoryName }
        return LabCatalog(root: root, labs: labs, broken: broken)
    }

    /// The lab called `name`, or an error: the named lab's own error when it is broken, else one that
    /// lists what exists.
    public func resolve(_ name: String) throws -> Entry {
        let valid = labs.filter { LabName.matches(name, $0) }
        let invalid = broken.filter { LabName.matches(name, $0) }
        if valid.count == 1 && invalid.isEmpty { return valid[0] }
        if valid.isEmpty && invalid.count == 1 { throw CatalogError.invalidManifest(invalid[0].error) }
        if valid.count + invalid.count > 1 {
            throw CatalogError.ambiguous(name, valid.map(\.directoryName) + invalid.map { "\($0.directoryName) (invalid)" })
        }
        let known = labs.flatMap { [$0.manifest.slug, $0.manifest.id] } + broken.compactMap { LabName.slug(ofDirectory: $0.directoryName) }
        throw CatalogError.unknownLab(
            name, suggestion: DidYouMean.suggestion(for: name, among: known),
            known: (labs.map(\.directoryName) + broken.map(\.directoryName)).sorted())
    }

    static func matches(_ name: String, _ entry: Entry) -> Bool { LabName.matches(name, entry) }

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

/// How a name given on the command line picks a lab: exactly one of its names, never a substring.
enum LabName {
    static func matches(_ name: String, _ entry: LabCatalog.Entry) -> Bool {
        let lab = entry.manifest
        return matches(name, week: lab.week, names: [lab.slug, lab.id, entry.directoryName])
    }

    /// A broken lab answers to its directory (`01-finding-slow-service`), the week and slug the
    /// directory name spells, and, when its manifest parsed, the week, slug and id written there.
    static func matches(_ name: String, _ lab: LabCatalog.BrokenLab) -> Bool {
        var names = [lab.directoryName]
        if let slug = slug(ofDirectory: lab.directoryName) { names.append(slug) }
        if let manifest = lab.manifest {
            names += [manifest.slug, manifest.id]
            if matches(name, week: manifest.week, names: []) { return true }
        }
        return matches(name, week: week(ofDirectory: lab.directoryName), names: names)
    }

    /// `7`, `07`, `week07` name week 7; otherwise the name must equal one of `names` (any case).
    static func matches(_ name: String, week: Int?, names: [String]) -> Bool {
        let lowered = name.lowercased()
        if names.contains(lowered) { return true }
        var digits = Substring(lowered)
        if digits.hasPrefix("week") { digits = digits.dropFirst(4) }
        guard let week, !digits.isEmpty, digits.count <= 4, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
            return false
        }
        return Int(digits) == week
    }

    /// `07-circuit-breakers` → 7.
    static func week(ofDirectory name: String) -> Int? {
        guard let dash = name.firstIndex(of: "-") else { return nil }
        let digits = name[..<dash]
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// `07-circuit-breakers` → `circuit-breakers`.
    static func slug(ofDirectory name: String) -> String? {
        guard week(ofDirectory: name) != nil, let dash = name.firstIndex(of: "-") else { return nil }
        let slug = name[name.index(after: dash)...]
        return slug.isEmpty ? nil : String(slug)
    }
}
