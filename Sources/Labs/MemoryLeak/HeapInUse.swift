import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How many bytes the C heap (glibc malloc, which Swift allocates through) has handed out and not
/// got back, over every arena: what a leak makes grow, while the resident set also counts freed
/// memory malloc keeps for reuse. From `malloc_info(3)`'s totals: the arenas' current size minus
/// their free chunks, plus the blocks malloc mapped on their own. (`mallinfo2` would be simpler but
/// counts the main arena only, and Swift's threads allocate in others.)
enum HeapInUse {
    private typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
    private static let mallocInfo: MallocInfo? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_info") else { return nil }
        return unsafeBitCast(symbol, to: MallocInfo.self)
    }()

    static func bytes() -> Int? {
        guard let mallocInfo else { return nil }
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else { return nil }
        let status = mallocInfo(0, stream)
        fclose(stream)
        defer { free(buffer) }
        guard status == 0, let buffer else { return nil }
        return parse(String(cString: buffer))
    }

    /// The totals after the last arena (`</heap>`) of malloc_info's XML.
    static func parse(_ xml: String) -> Int? {
        let totals = xml.range(of: "</heap>", options: .backwards).map { String(xml[$0.upperBound...]) } ?? xml
        func size(_ tag: String) -> Int? {
            guard let start = totals.range(of: tag) else { return nil }
            let rest = totals[start.upperBound...]
            guard let sizeStart = rest.range(of: "size=\"") else { return nil }
            return Int(rest[sizeStart.upperBound...].prefix { $0.isNumber })
        }
        guard let current = size("<system type=\"current\""), let fast = size("<total type=\"fast\""),
            let rest = size("<total type=\"rest\"")
        else { return nil }
        return current - fast - rest + (size("<total type=\"mmap\"") ?? 0)
    }
}
