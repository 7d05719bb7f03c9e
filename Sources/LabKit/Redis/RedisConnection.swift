import CHiredis

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking hiredis connection.
///
/// Every method blocks the calling thread, so only the client's dedicated thread pool calls them,
/// never the Swift cooperative pool. It is not thread-safe: the connection pool hands it to one
/// thread at a time, which is why `@unchecked Sendable` is sound here.
final class RedisConnection: @unchecked Sendable {
    private let context: UnsafeMutablePointer<redisContext>
    private let endpoint: String
    /// Set once an I/O, timeout or protocol error left the stream in an unknown state.
    private(set) var isBroken = false

    private init(context: UnsafeMutablePointer<redisContext>, endpoint: String) {
        self.context = context
        self.endpoint = endpoint
    }

    deinit { redisFree(context) }

    /// hiredis writes with write(2), which raises SIGPIPE (default action: kill the process) when the
    /// server has reset the connection. Servers ignore SIGPIPE and take the EPIPE error instead.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Connects, applies the command timeout to the socket, then authenticates and selects the database.
    static func open(_ configuration: RedisConfiguration) throws(RedisError) -> RedisConnection {
        Self.ignoreSIGPIPE
        let endpoint = "\(configuration.host):\(configuration.port)"
        guard
            let context = redisConnectWithTimeout(
                configuration.host, Int32(configuration.port), timeval(configuration.connectTimeout))
        else {
            throw .connection("cannot allocate a hiredis context for \(endpoint)")
        }
        let connection = RedisConnection(context: context, endpoint: endpoint)
        if context.pointee.err != 0 {
            throw .connection("connect to \(endpoint): \(connection.errorText)")
        }
        // SO_RCVTIMEO/SO_SNDTIMEO: a blocking read that waits longer fails with EAGAIN.
        if redisSetTimeout(context, timeval(configuration.commandTimeout)) != REDIS_OK {
            throw .connection("set timeout on \(endpoint): \(connection.errorText)")
        }
        var setup: [[RedisArgument]] = []
        if let password = configuration.password {
            if let username = configuration.username {
                setup.append(["AUTH", RedisArgument(username), RedisArgument(password)])
            } else {
                setup.append(["AUTH", RedisArgument(password)])
            }
        }
        if configuration.database != 0 {
            setup.append(["SELECT", RedisArgument(configuration.database)])
        }
        if !setup.isEmpty {
            for reply in try connection.execute(setup) {
                if case .error(let message) = reply { throw .server(message) }
            }
        }
        return connection
    }

    /// Sends every command in one write and reads one reply per command (a pipeline of one is a
    /// plain command). Error replies come back as `.error` values; a transport failure throws and
    /// marks the connection broken.
    func execute(_ commands: [[RedisArgument]]) throws(RedisError) -> [RESPValue] {
        guard !isBroken else { throw .connection("connection to \(endpoint) is broken") }
        for command in commands {
            guard !command.isEmpty else { throw .protocolError("empty command") }
            guard append(command) == REDIS_OK else {
                isBroken = true
                throw .connection("cannot buffer command for \(endpoint): \(errorText)")
            }
        }
        var replies: [RESPValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            let status = redisGetReply(context, &raw)
            let savedErrno = errno
            guard status == REDIS_OK, let raw else {
                isBroken = true
                throw classifyFailure(errno: savedErrno)
            }
            defer { freeReplyObject(raw) }
            replies.append(try Self.value(of: raw.assumingMemoryBound(to: redisReply.self)))
        }
        return replies
    }

    /// Whether an idle pooled connection can still be used. The server closes connections when it
    /// restarts or when `timeout` is configured; a non-blocking peek sees the FIN (recv returns 0)
    /// without consuming anything, so we reconnect instead of failing the next command.
    var looksAlive: Bool {
        guard !isBroken, context.pointee.err == 0 else { return false }
        var byte: UInt8 = 0
        let received = recv(context.pointee.fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if received < 0 { return errno == EAGAIN || errno == EWOULDBLOCK }
        // 0: closed by the server. > 0: unsolicited bytes, the stream is out of step.
        return false
    }

    // MARK: - hiredis plumbing

    private func append(_ command: [RedisArgument]) -> Int32 {
        // One buffer holds every argument back to back; hiredis copies them into its output buffer
        // during the call, so the pointers only need to live until it returns.
        var flat: [UInt8] = []
        var lengths: [Int] = []
        for argument in command {
            flat.append(contentsOf: argument.bytes)
            lengths.append(argument.bytes.count)
        }
        flat.append(0) // never empty, so baseAddress is never nil
        return flat.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var pointers: [UnsafePointer<CChar>?] = []
            var offset = 0
            for length in lengths {
                pointers.append(base + offset)
                offset += length
            }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { argvlen in
                    redisAppendCommandArgv(context, Int32(command.count), argv.baseAddress, argvlen.baseAddress)
                }
            }
        }
    }

    private var errorText: String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    private func classifyFailure(errno savedErrno: Int32) -> RedisError {
        switch context.pointee.err {
        case REDIS_ERR_IO:
            // The socket receive timeout expired: read(2) failed with EAGAIN.
            if savedErrno == EAGAIN || savedErrno == EWOULDBLOCK
                || errorText == String(cString: strerror(EAGAIN))
            {
                return .timeout
            }
            return .connection("\(endpoint): \(errorText)")
        case REDIS_ERR_EOF:
            return .connection("\(endpoint): \(errorText)")
        case REDIS_ERR_PROTOCOL:
            return .protocolError("\(endpoint): \(errorText)")
        case 0:
            return .protocolError("\(endpoint): no reply")
        default:
            return .connection("\(endpoint): \(errorText)")
        }
    }

    private static func value(of reply: UnsafePointer<redisReply>) throws(RedisError) -> RESPValue {
        let reply = reply.pointee
        func text() -> String {
            guard let str = reply.str else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: str, count: reply.len), as: UTF8.self)
        }
        switch reply.type {
        case REDIS_REPLY_STRING:
            guard let str = reply.str else { return .bytes([]) }
            return .bytes(Array(UnsafeRawBufferPointer(start: str, count: reply.len)))
        case REDIS_REPLY_STATUS:
            return .status(text())
        case REDIS_REPLY_ERROR:
            return .error(text())
        case REDIS_REPLY_INTEGER:
            return .integer(Int(reply.integer))
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ARRAY:
            var elements: [RESPValue] = []
            elements.reserveCapacity(reply.elements)
            for index in 0..<reply.elements {
                guard let element = reply.element[index] else {
                    throw .protocolError("array element \(index) is missing")
                }
                elements.append(try value(of: element))
            }
            return .array(elements)
        default:
            throw .protocolError("unknown reply type \(reply.type)")
        }
    }
}

/// hiredis wants `struct timeval`; clamp sub-microsecond durations up so they are not "no timeout".
private func timeval(_ duration: Duration) -> timeval {
    let (seconds, attoseconds) = duration.components
    var microseconds = Int(attoseconds / 1_000_000_000_000)
    if seconds == 0 && microseconds == 0 && attoseconds > 0 { microseconds = 1 }
    return Glibc.timeval(tv_sec: Int(seconds), tv_usec: microseconds)
}
