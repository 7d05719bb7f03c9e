import Foundation
import XCTest

@testable import LabControl

/// The files derived from the catalog that used to be edited by hand: the service registry, the
/// README's lab table and each lab README's recorded results.
final class CatalogGeneratorsTests: XCTestCase {
    func testTheRegistryListsEveryLabWithTheEnumNamedAfterItsSlug() throws {
        let catalog = try LabCatalog.load(root: Fixtures.repositoryRoot.appendingPathComponent("labs"))
        let file = try XCTUnwrap(LabRegistryGenerator().files(for: catalog).first)
        XCTAssertEqual(file.path, "Sources/Labs/LabCatalogServices.generated.swift")
        for entry in catalog.labs {
            let stem = LabRegistryGenerator.typeStem(forSlug: entry.manifest.slug)
            XCTAssertTrue(file.contents.contains("roles: \(stem)Lab.roles)"), entry.directoryName)
            XCTAssertTrue(file.contents.contains("slug: \"\(entry.manifest.slug)\""), entry.directoryName)
        }
        XCTAssertEqual(LabRegistryGenerator.typeStem(forSlug: "url-shortener-part-2"), "UrlShortenerPart2")
    }

    func testARegionIsReplacedAndTheRestKept() {
        let region = GeneratedRegion(name: "labs")
        let text = "intro\n<!-- labs:begin -->\nold\n<!-- labs:end -->\noutro\n"
        XCTAssertEqual(
            region.replace(in: text, with: "new\n", note: "generated"),
            "intro\n<!-- labs:begin — generated -->\nnew\n<!-- labs:end -->\noutro\n")
        XCTAssertNil(region.replace(in: "no region", with: "x", note: "y"))
    }

    func testRecordedResultsMustMatchTheManifestsExpectations() throws {
        let catalog = try LabCatalog.load(root: Fixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/compare-labs"))
        let entry = catalog.labs[0]
        let current = entry.manifest.expectations.map {
            ["measurement": $0.measurement, "check": $0.check, "holds": true, "explanation": "x"] as [String: Any]
        }
        var results: [String: Any] = [
            "variants": ["before", "after"], "duration_scale": 1.0, "recorded_at": "2026-12-02 at 11:00 UTC",
            "measurements": [["name": "p50_fault", "unit": "s", "values": ["before": 0.3, "after": 0.01]]],
            "expectations": current,
        ]
        XCTAssertNoThrow(try LabReadmeResultsGenerator.checkExpectations(results, against: entry))
        let block = LabReadmeResultsGenerator.render(results, entry: entry)
        XCTAssertTrue(block.contains("| p50_fault | 300 ms | 10 ms | -97% |"), block)
        XCTAssertTrue(block.contains("(full length) on 2026-12-02 at 11:00 UTC"), block)

        results["expectations"] = Array(current.dropLast()) + [["measurement": "p50_fault", "check": "before > 9", "holds": true]]
        XCTAssertThrowsError(try LabReadmeResultsGenerator.checkExpectations(results, against: entry)) {
            XCTAssertTrue("\($0)".contains("recorded but not in lab.yaml: p50_fault: before > 9"), "\($0)")
        }
    }
}
