import Foundation

/// A fresh directory under /tmp for one test, removed by `remove()`.
struct TestDirectory {
    let url: URL

    init(_ label: String = #function) throws {
        let name = "labctl-test-\(label.prefix { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))"
        url = URL(fileURLWithPath: "/tmp", isDirectory: true).appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
