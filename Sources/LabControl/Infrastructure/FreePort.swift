import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A free TCP port on 127.0.0.1 for a server labctl is about to start.
///
/// Ports come in turn from a block of 500 below the kernel's ephemeral range (32768 and up, which
/// outgoing connections take): a port chosen now and bound seconds later (a lab's next variant is
/// planned while the current one runs) cannot meanwhile become the local port of some connection.
/// The block is `LAB_PORT_RANGE` (`labctl verify` gives each lab it runs at the same time its own,
/// e.g. `20000-20499`), else one derived from the process id. A port something already listens on
/// or holds is skipped; a server that still loses the race reports "address already in use" and
/// the server starters (Redis, PostgreSQL, …) retry on the next port; a lab service fails its start.
public enum FreePort {
    public static func next() throws -> Int {
        try nextInRange(range)
    }

    /// `LAB_PORT_RANGE` if set and well formed, else a block chosen by process id.
    static let range: ClosedRange<Int> = {
        if let text = ProcessInfo.processInfo.environment["LAB_PORT_RANGE"] {
            let bounds = text.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 2, bounds[0] >= 1024, bounds[0] < bounds[1], bounds[1] <= 65535 { return bounds[0]...bounds[1] }
        }
        let first = 10_000 + Int(getpid() % 44) * 500
        return first...(first + 499)
    }()

    /// Starts at a random place in the block: two processes that share a block (a verify's lab and a
    /// test run whose process ids map to it) then rarely walk it in step and pick the same port at the
    /// same moment, which a lab service (it does not retry on another port) would lose.
    private static let cursor = Mutex(Int.random(in: 0..<10_000))

    /// The next port of `range` (wrapping around) that nothing listens on and that binds.
    static func nextInRange(_ range: ClosedRange<Int>) throws -> Int {
        for _ in 0..<range.count {
            let port = cursor.withLock { offset in
                let next = offset % range.count
                offset = next + 1
                return range.lowerBound + next
            }
            if canBind(port) { return port }
        }
        throw SystemCallError(call: "bind (no free port in LAB_PORT_RANGE \(range.lowerBound)-\(range.upperBound))", errno: EADDRINUSE)
    }

    static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    public static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// A failed system call, named, with its errno text.
public struct SystemCallError: Error, CustomStringConvertible {
    public let call: String
    public let errno: Int32
    public var description: String { "\(call) failed: \(String(cString: strerror(errno)))" }
}
