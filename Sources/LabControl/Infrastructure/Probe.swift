import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Tiny blocking loopback probes for readiness checks: a raw TCP exchange and an HTTP GET.
/// (Kept dependency-free so starting a server needs nothing but the server.)
public enum Probe {
    /// Connects to 127.0.0.1:`port`, sends `request`, returns what the peer answers before it
    /// closes, `until` appears in it, or `timeout` passes. Nil when the connection fails.
    public static func exchange(
        port: Int, request: [UInt8], until: String? = nil, timeout: Duration = .seconds(2)
    ) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(
            tv_sec: Int(timeout.components.seconds),
            tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return nil }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < 1 << 20 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
            if let until, String(decoding: received, as: UTF8.self).contains(until) { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// GET http://127.0.0.1:`port``path`; the status code and body, or nil if nothing answered.
    public static func httpGet(port: Int, path: String, timeout: Duration = .seconds(2)) -> (status: Int, body: String)? {
        http(method: "GET", port: port, path: path, timeout: timeout)
    }

    /// One HTTP/1.0 request to 127.0.0.1:`port` (JSON body if any); the status code and body.
    public static func http(
        method: String, port: Int, path: String, jsonBody: String? = nil,
        timeout: Duration = .seconds(2)
    ) -> (status: Int, body: String)? {
        var request = "\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let jsonBody {
            request += "Content-Type: application/json\r\nContent-Length: \(jsonBody.utf8.count)\r\n\r\n\(jsonBody)"
        } else {
            request += "\r\n"
        }
        guard let response = exchange(port: port, request: Array(request.utf8), timeout: timeout) else { return nil }
        let parts = response.components(separatedBy: "\r\n\r\n")
        let statusLine = parts.first?.split(separator: "\r\n").first ?? ""
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, let status = Int(fields[1]) else { return nil }
        return (status, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}

/// Waiting for a freshly started server to answer.
public enum Readiness {
    /// Polls `isReady` until it returns true. Fails early when `process` exits, and after
    /// `timeout`, with an error that quotes the process's log.
    public static func wait(
        for process: ChildProcess,
        what: String,
        timeout: Duration,
        interval: Duration = .milliseconds(50),
        isReady: () async -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if await isReady() { return }
            if let status = process.exitStatus {
                throw ServerStartError(server: what, reason: "it \(status) while starting", logTail: process.logTail())
            }
            if ContinuousClock.now >= deadline {
                throw ServerStartError(server: what, reason: "it did not become ready within \(timeout)", logTail: process.logTail())
            }
            try await Task.sleep(for: interval)
        }
    }
}

/// A server that did not come up, with the last lines of its log.
public struct ServerStartError: Error, CustomStringConvertible {
    public let server: String
    public let reason: String
    public let logTail: String
    public var description: String { "\(server) failed to start: \(reason); last lines of its log:\n\(logTail)" }
    /// Whether the server lost a race for its port (the starters then retry on another port).
    var isAddressInUse: Bool { logTail.lowercased().contains("address already in use") }
}

/// Runs `start` with a fresh free port, retrying a few times when another process took the port
/// between `FreePort.next()` and the server's bind.
func withFreePortRetry<T>(attempts: Int = 3, _ start: (Int) async throws -> T) async throws -> T {
    var attempt = 1
    while true {
        do {
            return try await start(try FreePort.next())
        } catch let error as ServerStartError where error.isAddressInUse && attempt < attempts {
            attempt += 1
        }
    }
}
