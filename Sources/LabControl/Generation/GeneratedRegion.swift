import Foundation

/// A part of a hand-written Markdown file that `labctl gen` writes: everything between
/// `<!-- NAME:begin … -->` and `<!-- NAME:end -->`. The rest of the file is left as it is.
struct GeneratedRegion {
    let name: String

    var begin: String { "<!-- \(name):begin" }
    var end: String { "<!-- \(name):end -->" }

    /// `text` with the region's body replaced by `body`, or nil when the file has no such region.
    func replace(in text: String, with body: String, note: String) -> String? {
        guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex) else {
            return nil
        }
        return String(text[..<start.lowerBound]) + "\(begin) — \(note) -->\n" + body + end + String(text[stop.upperBound...])
    }

    /// Whether the region is there and holds nothing yet.
    func isEmpty(in text: String) -> Bool {
        guard let start = text.range(of: begin), let lineEnd = text[start.upperBound...].firstIndex(of: "\n"),
            let stop = text.range(of: end, range: lineEnd..<text.endIndex)
        else { return false }
        return text[text.index(after: lineEnd)..<stop.lowerBound].allSatisfy(\.isWhitespace)
    }
}
