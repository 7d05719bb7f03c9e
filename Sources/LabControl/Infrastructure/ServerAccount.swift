import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Running a server as an unprivileged account when labctl runs as root (CI does): the account
/// must own the server's directory and be able to reach it.
enum ServerAccount {
    /// The account named `name` when we are root, else nil (the server runs as ourselves).
    /// `package` is the Debian package that creates the account, for the error when it is missing.
    static func forRoot(_ name: String, server: String, package: String) throws -> SystemUser? {
        guard geteuid() == 0 else { return nil }
        guard let user = SystemUser.named(name) else {
            throw ServerStartError(
                server: server,
                reason: "as root it runs as the '\(name)' account, which does not exist: "
                    + "install the Debian package '\(package)' (apt-get install \(package))", logTail: "")
        }
        return user
    }

    /// Gives `url` and everything below it to `user`.
    static func chownRecursively(_ url: URL, to user: SystemUser) throws {
        try chown(url, to: user)
        guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil) else { return }
        for case let item as URL in walker { try chown(item, to: user) }
    }

    static func chown(_ url: URL, to user: SystemUser) throws {
        // lchown: a symbolic link is changed itself, never what it points to.
        guard lchown(url.path, user.uid, user.gid) == 0 else { throw SystemCallError(call: "chown \(url.path)", errno: errno) }
    }

    /// The account must be able to reach `url`: adds o+x (search only, not read) to it and to each
    /// ancestor that lacks it (a state directory under /root, say).
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
