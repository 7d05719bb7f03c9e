/// How `labctl verify` (and CI) proves a lab holds: the `test:` section of lab.yaml.
///
/// ```yaml
/// test:
///   duration_scale: 0.5       # verify runs the comparison at half length (default 1)
///   min_duration_scale: 0.5   # compare refuses anything shorter (default: duration_scale)
///   variants: [before, after] # verify runs these (default: every variant)
/// ```
public struct TestSpec: Sendable, Equatable {
    /// The scale `labctl verify` runs the comparison at.
    public var durationScale: Double
    /// The shortest scale at which the lesson holds; `compare` refuses shorter runs.
    public var minDurationScale: Double
    /// The variants verify runs (nil: all of them).
    public var variants: [String]?

    public static let `default` = TestSpec(durationScale: 1, minDurationScale: 1, variants: nil)
}

extension ManifestParser.Context {
    func test(_ reader: NodeReader, variants: [String: VariantSpec]) throws -> TestSpec {
        let fields = try reader.mapping(allowed: ["duration_scale", "min_duration_scale", "variants"])
        func scale(_ key: String) throws -> Double? {
            guard let reader = fields.optional(key) else { return nil }
            let value = try reader.positiveDouble()
            guard value <= 10 else { throw reader.error("must be at most 10, found \(value)") }
            return value
        }
        let durationScale = try scale("duration_scale") ?? 1
        let minimum = try scale("min_duration_scale") ?? durationScale
        if minimum > durationScale {
            throw try fields.required("min_duration_scale").error(
                "is above duration_scale (\(durationScale)): verify would run the lab below the scale it needs")
        }
        var chosen: [String]?
        if let variantsReader = fields.optional("variants") {
            let names = try variantsReader.stringList()
            for (index, name) in names.enumerated() where variants[name] == nil {
                let element = (try? variantsReader.sequence()[index]) ?? variantsReader
                throw element.error("'\(name)' is not a variant\(hint(name, Array(variants.keys)))")
            }
            guard names.contains("before"), names.contains("after") else {
                throw variantsReader.error("must include 'before' and 'after' (the lesson is their difference)")
            }
            chosen = names
        }
        return TestSpec(durationScale: durationScale, minDurationScale: minimum, variants: chosen)
    }
}
