import ArgumentParser

/// Subcommands whose implementation has not landed yet say so and exit non-zero.
struct NotImplementedYet: Error, CustomStringConvertible {
    let command: String
    var description: String { "labctl \(command): not implemented yet" }
}
