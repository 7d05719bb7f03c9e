import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A synchronous HTTP/1.1 client on a plain socket, the kind a legacy SDK ships: `get` blocks the
/// calling thread in `connect`/`send`/`recv` until the answer has arrived (or the timeout passes).
struct BlockingReportClient: Sendable {
    struct Reply: Sendable {
        var status: Int
        var bytes: Int
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let host: String
    let port: Int
    let timeout: Duration

    init(baseURL: String, timeout: Duration) throws {
        guard let url = URLComponents(string: baseURL), let host = url.host, let port = url.port else {
            throw Failure(description: "not an http://host:port URL: \(baseURL)")
        }
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    func get(_ path: String) throws -> Reply {
        let fd = try connectSocket()
        defer { close(fd) }
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n\r\n"
        var bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else {
                throw Failure(description: "no answer from \(host):\(port) within \(timeout) (\(String(cString: strerror(errno))))")
            }
            response.append(contentsOf: buffer[0..<n])
        }
        // "HTTP/1.1 200 OK\r\n…"
        let statusLine = String(decoding: response.prefix(while: { $0 != 13 }), as: UTF8.self).split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw Failure(description: "not an HTTP answer from \(host):\(port)")
        }
        return Reply(status: status, bytes: response.count)
    }

    private func connectSocket() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let address = found else {
            throw Failure(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(found) }
        let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
        guard fd >= 0 else { throw Failure(description: "socket failed: \(String(cString: strerror(errno)))") }
        let seconds = timeout.components.seconds
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "cannot connect to \(host):\(port): \(reason)")
        }
        return fd
    }
}
