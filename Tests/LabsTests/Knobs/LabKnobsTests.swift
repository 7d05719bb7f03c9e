import Foundation
import LabControl
import LabKit
import Labs
import XCTest

/// Every lab's knobs against what uses them: the manifests that set them, the READMEs that list them,
/// and `labsvc`, which checks them when a service starts.
final class LabKnobsTests: XCTestCase {
    static let root = PackageRoot.url

    func testEveryRoleOfEveryLabDeclaresItsKnobs() {
        for lab in Labs.registry.labs {
            for role in lab.roles {
                XCTAssertNotNil(role.knobs, "\(lab.id) \(role.name): no knob list in <Name>Lab.knobs (an empty one if it reads none)")
            }
            for role in lab.roles {
                let names = Set((role.knobs ?? []).map(\.spec.name))
                let common = Set(LabService.commonKnobs.map(\.spec.name))
                XCTAssertEqual(names.intersection(common), [], "\(lab.id) \(role.name) redeclares a common knob")
                // The reader refuses a variable declared twice with different meanings (a precondition).
                _ = KnobReader(environment: [:], declared: role.knobs)
            }
        }
    }

    func testEveryVariableAManifestSetsIsADeclaredKnobWithAnAllowedValue() throws {
        let catalog = try LabCatalog.load(root: Self.root.appendingPathComponent("labs"))
        XCTAssertTrue(catalog.problems.isEmpty, "\(catalog.problems)")
        XCTAssertGreaterThanOrEqual(catalog.labs.count, 13)
        for entry in catalog.labs {
            let lab = try XCTUnwrap(Labs.registry.lab(named: entry.manifest.id), entry.directoryName)
            let problems = ManifestKnobCheck.problems(entry.manifest, lab: lab, file: "labs/\(entry.directoryName)/lab.yaml")
            XCTAssertEqual(problems, [], problems.joined(separator: "\n"))
        }
    }

    /// The check above would catch a typo in a variable's name, a value a knob does not allow, and a
    /// knob set on a service that does not read it.
    func testTheManifestCheckCatchesTyposAndBadValues() throws {
        let catalog = try LabCatalog.load(root: Self.root.appendingPathComponent("labs"))
        let entry = try XCTUnwrap(catalog.labs.first { $0.manifest.id == "week07" })
        let lab = try XCTUnwrap(Labs.registry.lab(named: "week07"))
        var manifest = entry.manifest
        manifest.variants["after"]!.services["client"]!.env = ["BREAKR": "on", "FALLBACK": "onn"]
        manifest.variants["before"]!.env = ["CB_WAIT_MSS": "100"]
        manifest.services[1].env = ["CB_WAIT_MS": "100"]
        XCTAssertEqual(
            ManifestKnobCheck.problems(manifest, lab: lab, file: "lab.yaml"),
            [
                "lab.yaml: field 'services[1].env.CB_WAIT_MS': week07 backend declares no knob CB_WAIT_MS",
                "lab.yaml: field 'variants.before.env.CB_WAIT_MSS': any service of week07 declares no knob CB_WAIT_MSS; "
                    + "did you mean CB_WAIT_MS?",
                "lab.yaml: field 'variants.after.services.client.env.BREAKR': week07 client declares no knob BREAKR; did you mean BREAKER?",
                "lab.yaml: variant 'after', service 'client' would not start: "
                    + "FALLBACK=onn: expected one of on, off (also true/false, 1/0, yes/no)",
            ])
    }

    func testEveryLabReadmeCarriesItsGeneratedKnobTable() throws {
        let catalog = try LabCatalog.load(root: Self.root.appendingPathComponent("labs"))
        for entry in catalog.labs {
            let lab = try XCTUnwrap(Labs.registry.lab(named: entry.manifest.id), entry.directoryName)
            let path = "labs/\(entry.directoryName)/README.md"
            let readme = try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
            let update = "run `.build/debug/labsvc knobs \(lab.id) --readme \(path)`"
            guard let block = KnobTable.readmeBlock(in: readme) else {
                XCTFail("\(path) has no generated knob table: add the marker lines under a '## Knobs' heading, then \(update)")
                continue
            }
            XCTAssertEqual(String(block), KnobTable.readmeBlock(lab), "\(path): the knob table differs from the code; \(update)")
        }
    }
}
