import Foundation

/// `labctl new <week> <slug>`: a new lab that compiles and verifies before its author changes
/// anything — `labs/<NN>-<slug>/` (manifest, learner README with the contract's sections) and
/// `Sources/Labs/<Name>/` (two services). The starting lesson is deliberately small (a memo of a
/// slow dependency's answers); the author replaces it with theirs, keeping the shape.
public struct LabScaffold: Sendable {
    public let week: Int
    public let slug: String
    /// `circuit-breakers` → `CircuitBreakers` (the Swift folder and the `<Name>Lab` enum).
    public var name: String { LabRegistryGenerator.typeStem(forSlug: slug) }
    public var directoryName: String { String(format: "%02d-%@", week, slug) }

    public struct ScaffoldError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(week: Int, slug: String) throws {
        guard (1...99).contains(week) else { throw ScaffoldError(description: "the week must be between 1 and 99, found \(week)") }
        guard slug.range(of: #"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"#, options: .regularExpression) != nil else {
            throw ScaffoldError(
                description: "'\(slug)' is not a slug: lower-case letters and digits in words joined by '-' (e.g. rate-limiting)")
        }
        self.week = week
        self.slug = slug
    }

    /// The files to write, relative to the repository root.
    public var files: [GeneratedFile] {
        [
            GeneratedFile(path: "labs/\(directoryName)/lab.yaml", contents: ScaffoldTemplates.manifest(self)),
            GeneratedFile(path: "labs/\(directoryName)/README.md", contents: ScaffoldTemplates.readme(self)),
            GeneratedFile(path: "Sources/Labs/\(name)/\(name)Lab.swift", contents: ScaffoldTemplates.labEnum(self)),
            GeneratedFile(path: "Sources/Labs/\(name)/MemoizingApi.swift", contents: ScaffoldTemplates.api(self)),
            GeneratedFile(path: "Sources/Labs/\(name)/SlowBackend.swift", contents: ScaffoldTemplates.backend(self)),
        ]
    }

    /// Writes the files; refuses when the week, the slug or any file is taken.
    public func write(repositoryRoot: URL, catalog: LabCatalog) throws -> [String] {
        if let taken = catalog.labs.first(where: { $0.manifest.week == week }) {
            throw ScaffoldError(description: "week \(week) is taken by labs/\(taken.directoryName)")
        }
        if let taken = catalog.labs.first(where: {
            $0.manifest.slug == slug || LabRegistryGenerator.typeStem(forSlug: $0.manifest.slug) == name
        }) {
            throw ScaffoldError(description: "the name '\(slug)' is taken by labs/\(taken.directoryName)")
        }
        let fileManager = FileManager.default
        for file in files where fileManager.fileExists(atPath: repositoryRoot.appendingPathComponent(file.path).path) {
            throw ScaffoldError(description: "\(file.path) already exists")
        }
        for file in files {
            let url = repositoryRoot.appendingPathComponent(file.path)
            try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.contents.write(to: url, atomically: true, encoding: .utf8)
        }
        return files.map(\.path)
    }
}
