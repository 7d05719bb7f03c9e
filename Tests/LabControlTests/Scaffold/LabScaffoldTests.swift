import Foundation
import XCTest

@testable import LabControl

/// `labctl new`: what it writes is a valid lab the registry generator points at, and it refuses to
/// overwrite anything.
final class LabScaffoldTests: XCTestCase {
    func testTheScaffoldedManifestIsValidAndItsEnumIsTheOneTheRegistryNames() throws {
        let scaffold = try LabScaffold(week: 42, slug: "write-behind-cache")
        XCTAssertEqual(scaffold.name, "WriteBehindCache")
        let manifestText = try XCTUnwrap(scaffold.files.first { $0.path == "labs/42-write-behind-cache/lab.yaml" }).contents
        let manifest = try ManifestParser.parse(yaml: manifestText)
        XCTAssertEqual(manifest.week, 42)
        XCTAssertEqual(manifest.slug, "write-behind-cache")
        XCTAssertFalse(manifest.expectations.isEmpty)
        let enumFile = try XCTUnwrap(scaffold.files.first { $0.path == "Sources/Labs/WriteBehindCache/WriteBehindCacheLab.swift" })
        XCTAssertTrue(enumFile.contents.contains("enum WriteBehindCacheLab {"))
        for role in manifest.services.map(\.role) { XCTAssertTrue(enumFile.contents.contains(".init(\"\(role)\""), role) }
        let readme = try XCTUnwrap(scaffold.files.first { $0.path.hasSuffix("README.md") }).contents
        for section in ["## Run it", "## What to look at", "## Exercises", "## Before and after", "```mermaid", "<!-- results:begin -->"] {
            XCTAssertTrue(readme.contains(section), section)
        }
    }

    func testItRefusesBadNamesAndWhatIsTaken() throws {
        XCTAssertThrowsError(try LabScaffold(week: 0, slug: "x"))
        XCTAssertThrowsError(try LabScaffold(week: 5, slug: "Url_Shortener"))
        let root = try TestDirectory()
        defer { root.remove() }
        let labs = root.url.appendingPathComponent("labs")
        try FileManager.default.createDirectory(at: labs, withIntermediateDirectories: true)
        let first = try LabScaffold(week: 5, slug: "url-shortener")
        _ = try first.write(repositoryRoot: root.url, catalog: try LabCatalog.load(root: labs))
        let catalog = try LabCatalog.load(root: labs)
        XCTAssertEqual(catalog.labs.map(\.directoryName), ["05-url-shortener"], "\(catalog.problems)")
        XCTAssertThrowsError(try LabScaffold(week: 5, slug: "other").write(repositoryRoot: root.url, catalog: catalog)) {
            XCTAssertTrue("\($0)".contains("week 5 is taken by labs/05-url-shortener"), "\($0)")
        }
        XCTAssertThrowsError(try LabScaffold(week: 6, slug: "url-shortener").write(repositoryRoot: root.url, catalog: catalog)) {
            XCTAssertTrue("\($0)".contains("the name 'url-shortener' is taken"), "\($0)")
        }
    }
}
