#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The legacy system's SDK: a synchronous client, as old SDKs are. `get` opens a TCP connection,
/// sends one HTTP/1.0 request and reads the answer with blocking system calls — the calling thread
/// does nothing else until the legacy system answers (or the socket timeout passes). Called from an
/// async handler, that thread is one of Swift concurrency's few cooperative threads.
struct BlockingLegacyClient: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let host: String
    let port: Int
    let timeout: Duration

    init(url: String, timeout: Duration) throws {
        guard let components = URLComponents(string: url), let host = components.host, let port = components.port else {
            throw Failure(description: "LEGACY_URL: expected http://host:port, got \(url)")
        }
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    /// GET `path`; returns the status code. Blocks the calling thread.
    func get(_ path: String) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            throw Failure(description: "legacy host must be an IPv4 address, got \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect: errno \(errno)") }

        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(host):\(port)\r\n\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else { throw Failure(description: "send: errno \(errno)") }

        // HTTP/1.0: the server closes the connection after the answer. Read it all (the status line is first).
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { break }
            guard count > 0 else {
                throw Failure(description: errno == EAGAIN || errno == EWOULDBLOCK ? "legacy: no answer within \(timeout)" : "recv: errno \(errno)")
            }
            answer.append(contentsOf: buffer[0..<count])
        }
        // "HTTP/1.1 200 OK"
        let statusLine = String(decoding: answer.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, let status = Int(fields[1]) else { throw Failure(description: "legacy: malformed answer '\(statusLine)'") }
        return status
    }
}
