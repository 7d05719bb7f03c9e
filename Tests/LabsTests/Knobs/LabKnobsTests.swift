import Foundation
import LabControl
import LabKit
import Labs
import XCTest

/// Every lab's knobs against what uses them: the manifests that set them, the READMEs that list them,
/// and `labsvc`, which checks them when a service starts.
final class LabKnobsTests: XCTestCase {
    static let root = LabCompare.packageRoot

    func testEveryRoleOfEveryLabDeclaresItsKnobs() {
        for lab in Labs.registry.labs {
            guard let declared = Labs.knobs[lab.id] else {
                XCTFail("\(lab.id) declares no knobs: add `\(lab.id): <Name>Lab.knobs` to Labs.knobs (Sources/Labs/LabKnobs.swift)")
                continue
            }
            for role in lab.roles {
                XCTAssertNotNil(declared[role.name], "\(lab.id) \(role.name): no knob list (an empty one if it reads none)")
            }
            XCTAssertEqual(Set(declared.keys).subtracting(lab.roles.map(\.name)), [], "\(lab.id): knobs for roles it does not have")
            for role in Labs.services.lab(named: lab.id)?.roles ?? [] {
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
            let lab = try XCTUnwrap(Labs.services.lab(named: entry.manifest.id), entry.directoryName)
            let problems = ManifestKnobCheck.problems(entry.manifest, lab: lab, file: "labs/\(entry.directoryName)/lab.yaml")
            XCTAssertEqual(problems, [], problems.joined(separator: "\n"))
        }
    }

    /// The check above would catch a typo in a variable's name, a value a knob does not allow, and a
    /// knob set on a service that does not read it.
    func testTheManifestCheckCatchesTyposAndBadValues() throws {
        let catalog = try LabCatalog.load(root: Self.root.appendingPathComponent("labs"))
        let entry = try XCTUnwrap(catalog.labs.first { $0.manifest.id == "week07" })
        let lab = try XCTUnwrap(Labs.services.lab(named: "week07"))
        var manifest = entry.manifest
        manifest.variants["after"]!.services["client"]!.env = ["BREAKR": "on", "FALLBACK": "onn"]
        manifest.variants["before"]!.env = ["CB_WAIT_MSS": "100"]
        manifest.services[1].env = ["CB_WAIT_MS": "100"]
        XCTAssertEqual(ManifestKnobCheck.problems(manifest, lab: lab, file: "lab.yaml"), [
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
            let lab = try XCTUnwrap(Labs.services.lab(named: entry.manifest.id), entry.directoryName)
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
