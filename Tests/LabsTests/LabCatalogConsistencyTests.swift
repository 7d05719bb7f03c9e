import Foundation
import LabControl
import Labs
import XCTest

/// The manifests under labs/ and the services compiled into `labsvc` must agree: every role a
/// lab.yaml names is one `labsvc <lab> <role>` can run, and every lab has a learner's README.
final class LabCatalogConsistencyTests: XCTestCase {
    func testEveryManifestRoleIsARegisteredService() throws {
        let catalog = try LabCatalog.load(root: PackageRoot.url.appendingPathComponent("labs"))
        XCTAssertTrue(catalog.problems.isEmpty, "\(catalog.problems)")
        for entry in catalog.labs {
            let manifest = entry.manifest
            guard let lab = Labs.registry.lab(named: manifest.id) else {
                XCTFail("\(entry.directoryName): labsvc has no lab '\(manifest.id)' (registered: \(Labs.registry.labs.map(\.id)))")
                continue
            }
            for service in manifest.services {
                XCTAssertNotNil(lab.role(service.role), "\(entry.directoryName): labsvc \(manifest.id) has no role '\(service.role)'")
            }
            let readme = entry.directory.appendingPathComponent("README.md")
            XCTAssertTrue(FileManager.default.fileExists(atPath: readme.path), "\(entry.directoryName) has no README.md")
            XCTAssertTrue(manifest.variants["before"] != nil && manifest.variants["after"] != nil)
            XCTAssertFalse(manifest.expectations.isEmpty, "\(entry.directoryName): a lab states its lesson as expectations")
        }
    }
}
