import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Ports labctl holds for instances that start later (`autostart: false`): a socket bound to
/// 127.0.0.1:port (not listening: a connection is refused, as with nothing there), so that no other
/// process on the machine takes the port in the seconds or minutes before the `start` action. It
/// is released just before the instance is spawned. The balancer's configuration and every peer's
/// URL name these ports from the start, so the instance must come up on exactly this one.
final class PortReservations: Sendable {
    private let sockets = Mutex<[Int: Int32]>([:])

    /// Holds `port`; false when something already has it.
    @discardableResult
    func hold(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard bound else {
            close(fd)
            return false
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC) // children never inherit it
        sockets.withLock { $0[port] = fd }
        return true
    }

    /// Lets the port go (the instance is about to bind it).
    func release(_ port: Int) {
        if let fd = sockets.withLock({ $0.removeValue(forKey: port) }) { close(fd) }
    }

    func releaseAll() {
        for fd in sockets.withLock({ held in
            defer { held = [:] }
            return Array(held.values)
        }) { close(fd) }
    }
}
