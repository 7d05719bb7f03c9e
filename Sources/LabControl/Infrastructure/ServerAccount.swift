import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a server that labctl (as root) runs under an unprivileged account needs from the files
/// labctl made for it.
enum ServerAccount {
    /// The account must be able to reach `url`: add o+x (search only, not read) to each ancestor
    /// that lacks it (a state directory under /root, say).
    static func makeTraversable(_ url: URL) throws {
        var current = url
        while current.path != "/" && !current.path.isEmpty {
            var info = stat()
            if stat(current.path, &info) == 0, info.st_mode & S_IXOTH == 0 {
                guard chmod(current.path, (info.st_mode & 0o7777) | S_IXOTH) == 0 else {
                    throw SystemCallError(call: "chmod o+x \(current.path)", errno: errno)
                }
            }
            current = current.deletingLastPathComponent()
        }
    }
}
