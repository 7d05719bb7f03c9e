// libFuzzer target: the lab manifest parser (Sources/LabControl/Manifest), on arbitrary bytes.
//
// Every failure must be a ManifestError (file, line, field), never another error or a trap; a
// manifest that parses must give a load plan that validates or says why, without trapping.
import Foundation
import LabKit

@testable import LabControl

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    let manifest: LabManifest
    do {
        manifest = try ManifestParser.parse(yaml: try ManifestParser.text(bytes, file: "lab.yaml"), file: "lab.yaml")
    } catch is ManifestError {
        return 0
    } catch {
        fatalError("the parser threw something other than a ManifestError: \(type(of: error)): \(error)")
    }
    if let scenario = manifest.scenario {
        for scale in [0.01, 1, 100] {
            let plan = LoadPlan(scenario: scenario, target: "http://127.0.0.1:1", durationScale: scale)
            guard (try? plan.validate()) != nil else { continue }
            // Draw a few keys from every request kind: the samplers must hold at the bounds' edges.
            var rng = SeededRandomNumberGenerator(seed: 1)
            for kind in plan.phases.flatMap(\.requests) {
                let sampler = KeySampler(kind.keys)
                for _ in 0..<8 { _ = sampler.sample(using: &rng) }
            }
        }
    }
    for expectation in manifest.expectations {
        _ = expectation.parsed.evaluate(Dictionary(uniqueKeysWithValues: manifest.variantNames.map { ($0, 1.5) }))
    }
    return 0
}

/// Like `precondition`, but its message survives a release build (libFuzzer prints it with the crash).
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
