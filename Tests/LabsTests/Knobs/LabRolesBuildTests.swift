import Foundation
import LabControl
import LabKit
import Labs
import XCTest

/// Every service of every lab, built (not run) with the environment its manifest gives it in each
/// variant: no knob error. This is where a knob the code reads but the role does not declare shows up,
/// in a second instead of in a lab's comparison. Infrastructure is not there (peers and PostgreSQL
/// point at a closed port, REDIS_URL is unset), so a service may stop later for that reason; only
/// knob errors count.
final class LabRolesBuildTests: XCTestCase {
    func testEveryRoleBuildsInEveryVariantWithoutAKnobError() async throws {
        let catalog = try LabCatalog.load(root: PackageRoot.url.appendingPathComponent("labs"))
        var built = 0
        for entry in catalog.labs {
            let manifest = entry.manifest
            var wiring = ["PORT": "0", "OTEL_TRACES_EXPORTER": "none", "LOG_LEVEL": "critical"]
            for service in manifest.services {
                let urls = (1...service.replicas).map { "http://127.0.0.1:\($0)" }
                wiring[ServiceSpec.urlVariable(for: service.role)] = urls.joined(separator: ",")
            }
            if manifest.infrastructure.contains(where: { $0.kind == .postgres }) {
                wiring["DATABASE_URL"] = "postgres://lab@127.0.0.1:1/lab"
            }
            for variant in manifest.variantNames {
                for service in manifest.services {
                    let env = wiring.merging(service.env) { _, new in new }
                        .merging(manifest.variants[variant]!.env(for: service.role)) { _, new in new }
                    do {
                        _ = try await Labs.registry.makeService(lab: manifest.id, role: service.role, environment: env)
                    } catch let error as KnobError {
                        XCTFail("\(manifest.id) \(service.role), variant \(variant): \(error)")
                    } catch {
                        // No infrastructure here (a refused connection, REDIS_URL not set): not a knob problem.
                    }
                    built += 1
                }
            }
        }
        XCTAssertGreaterThanOrEqual(built, 40, "every role of every lab in every variant")
    }
}
