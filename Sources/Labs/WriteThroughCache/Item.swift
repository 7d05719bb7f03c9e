/// One row of `items` (and one cache entry): a value and the version the writer gave it.
/// Version 0 is "never written".
struct Item: Sendable, Equatable {
    var version: Int
    var value: String

    static let unwritten = Item(version: 0, value: "")
}
