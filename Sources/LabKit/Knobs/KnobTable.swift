import Foundation

/// Knobs as text: `labsvc knobs` prints them, and each lab's README carries them as a markdown table
/// between two marker lines, generated from the declarations (a test compares the two).
public enum KnobTable {
    /// One role's knobs in aligned columns: variable, kind, default, allowed values, meaning.
    public static func text(_ knobs: [KnobSpec]) -> String {
        guard !knobs.isEmpty else { return "(no knobs)" }
        let rows =
            [["variable", "kind", "default", "allowed", "meaning"]]
            + knobs.map { [$0.name, $0.kind.rawValue, $0.defaultText ?? "(required)", $0.allowed, $0.meaning] }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            (0..<4).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                + "  " + row[4]
        }.joined(separator: "\n")
    }

    /// A lab's knobs as one markdown table. Several roles that declare the same knob share a row; the
    /// service column is there only when the lab has more than one role.
    public static func markdown(_ lab: LabServiceRegistry.Lab) -> String {
        var rows: [(spec: KnobSpec, roles: [String])] = []
        for role in lab.roles {
            for spec in (role.knobs ?? []).map(\.spec) {
                if let index = rows.firstIndex(where: { $0.spec == spec }) {
                    rows[index].roles.append(role.name)
                } else {
                    rows.append((spec, [role.name]))
                }
            }
        }
        return markdown(rows, showRoles: lab.roles.count > 1)
    }

    /// One role's knobs as a markdown table.
    public static func markdown(_ knobs: [KnobSpec]) -> String {
        markdown(knobs.map { ($0, []) }, showRoles: false)
    }

    private static func markdown(_ rows: [(spec: KnobSpec, roles: [String])], showRoles: Bool) -> String {
        guard !rows.isEmpty else { return "This lab's services have no knobs." }
        let header = ["variable"] + (showRoles ? ["service"] : []) + ["kind", "default", "allowed", "meaning"]
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + String(repeating: "---|", count: header.count)]
        for (spec, roles) in rows {
            var cells = ["`\(spec.name)`"]
            if showRoles { cells.append(roles.joined(separator: ", ")) }
            cells += [spec.kind.rawValue, spec.defaultText.map { "`\($0)`" } ?? "required", spec.allowed, spec.meaning]
            lines.append("| " + cells.map(cell).joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    private static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }

    // MARK: The README block

    static let beginMarker = "<!-- BEGIN GENERATED KNOBS"
    static let endMarker = "<!-- END GENERATED KNOBS -->"

    /// The table between its marker lines, as a lab's README carries it.
    public static func readmeBlock(_ lab: LabServiceRegistry.Lab) -> String {
        """
        \(beginMarker): `labsvc knobs \(lab.id) --markdown`; a test fails when this table and the code differ -->
        \(markdown(lab))
        \(endMarker)
        """
    }

    /// The README's generated block (marker lines included), nil when it has none.
    public static func readmeBlock(in readme: String) -> Substring? {
        guard let begin = readme.range(of: beginMarker),
            let end = readme.range(of: endMarker, range: begin.upperBound..<readme.endIndex)
        else { return nil }
        return readme[begin.lowerBound..<end.upperBound]
    }

    /// The README with its generated block replaced by the lab's current one.
    public static func updatingReadme(_ readme: String, for lab: LabServiceRegistry.Lab) throws -> String {
        guard let block = readmeBlock(in: readme) else {
            throw LabStartupError("no generated knob table: put the lines '\(beginMarker) -->' and '\(endMarker)' where it belongs")
        }
        return readme.replacingCharacters(in: block.startIndex..<block.endIndex, with: readmeBlock(lab))
    }
}
