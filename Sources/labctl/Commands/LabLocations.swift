import ArgumentParser
import Foundation
import LabControl

/// Where the labs and the state live; every command that touches labs takes these options.
struct LabLocations: ParsableArguments {
    @Option(name: .customLong("labs-dir"), help: "The labs catalog (default: $LAB_LABS_DIR, else ./labs or a parent's).")
    var labsDir: String?

    @Option(
        name: .customLong("state-dir"),
        help: "Where running labs keep state, logs and data (default: $LAB_STATE_DIR, else .lab next to labs/).")
    var stateDir: String?

    var labsRoot: URL { LabCatalog.defaultRoot(override: labsDir) }

    var stateDirectory: URL {
        if let stateDir { return URL(fileURLWithPath: stateDir, isDirectory: true).standardizedFileURL }
        return RuntimeOptions.defaultStateDirectory(labsRoot: labsRoot)
    }

    func catalog() throws -> LabCatalog { try LabCatalog.load(root: labsRoot) }
}

/// Progress and notes go to stderr so stdout stays machine-readable.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// A failure already explained to the user: exit non-zero without a stack of messages.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Left-aligned columns.
func table(_ header: [String], _ rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}
