import Foundation

/// Paths of the repository's test fixtures.
enum Fixtures {
    /// Tests/Fixtures/labs
    static var labsDirectory: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath() // Tests/LabControlTests/Manifest/Fixtures.swift
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/labs", isDirectory: true)
    }

    static var repositoryRoot: URL {
        labsDirectory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
