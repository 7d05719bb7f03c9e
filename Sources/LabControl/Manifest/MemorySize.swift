import Foundation

/// Memory sizes as lab authors write them: `96MB`, `96MiB`, `96m` (compose's spelling), `1.5GB`,
/// `512k`, or a number of bytes. Units are binary (1 MB = 1,048,576 bytes), as compose and the
/// kernel count them.
enum MemorySize {
    static let range = (4 << 20)...(64 << 30)

    static func bytes(_ reader: NodeReader) throws -> Int {
        let text = try reader.scalarText()
        guard let bytes = parse(text) else {
            throw reader.error("'\(text)' is not a memory size (write e.g. '96MB', '512k', '1GB')")
        }
        guard range.contains(bytes) else { throw reader.error("must be between 4MB and 64GB, found '\(text)'") }
        return bytes
    }

    static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(number.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard let value = Double(number), value > 0 else { return nil }
        let multiplier: Double
        switch unit {
        case "", "b": multiplier = 1
        case "k", "kb", "kib": multiplier = 1024
        case "m", "mb", "mib": multiplier = 1024 * 1024
        case "g", "gb", "gib": multiplier = 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = value * multiplier
        guard bytes < Double(Int.max / 2) else { return nil }
        return Int(bytes)
    }

    /// `96 MB`, for logs and README tables.
    static func text(_ bytes: Int) -> String {
        let mb = Double(bytes) / Double(1 << 20)
        return mb.rounded() == mb ? "\(Int(mb)) MB" : String(format: "%.1f MB", mb)
    }
}
