import Foundation
import Hummingbird
import NIOCore

/// `/admin/faults` and `/admin/config`, on every lab service.
///
///     GET    /admin/faults        → the active faults
///     PUT    /admin/faults        → replace them (body: see `FaultSet`); `{"abort": {}}` answers 202, then the process dies
///     DELETE /admin/faults        → clear all
///     GET    /admin/config        → the lab's knobs
///     PUT    /admin/config        → set the knobs named in the body (null unsets one)
enum AdminRoutes {
    static let maxBody = 64 * 1024

    static func install(on router: Router<LabRequestContext>, service: LabContext) {
        let admin = router.group("admin").add(middleware: AdminGuard(token: service.environment["LAB_ADMIN_TOKEN"]))

        admin.get("faults") { _, _ in Response.json(service.faults.current.json) }
        admin.delete("faults") { _, _ in
            service.faults.clear()
            return Response.json(FaultSet.none.json)
        }
        admin.put("faults") { request, _ -> Response in
            let faults: FaultSet
            do throws(JSONFieldError) {
                faults = try FaultSet(json: try await body(of: request))
            } catch {
                return Response.jsonError(error.message, status: .badRequest)
            }
            if faults.abort {
                scheduleAbort(logger: service.logger)
                return Response.json(["aborting": true], status: .accepted)
            }
            service.faults.set(faults)
            return Response.json(faults.json)
        }

        admin.get("config") { _, _ in Response.json(service.config.json) }
        admin.put("config") { request, _ -> Response in
            do throws(JSONFieldError) {
                service.config.apply(try LabConfig.parseChanges(try await body(of: request)))
            } catch {
                return Response.jsonError(error.message, status: .badRequest)
            }
            return Response.json(service.config.json)
        }
    }

    private static func body(of request: Request) async throws(JSONFieldError) -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBody)
        } catch {
            throw JSONFieldError("body: larger than \(maxBody) bytes or unreadable")
        }
        return try JSONValue.parse(buffer.readableBytesView)
    }

    /// The crash fault: the 202 goes out first, then the process dies by SIGKILL — no flushing, no
    /// graceful shutdown, exactly like an OOM kill (a shell reports exit status 137).
    private static func scheduleAbort(logger: Logger) {
        logger.critical("abort fault injected: killing the process")
        Task.detached {
            try? await Task.sleep(for: .milliseconds(100))
            kill(getpid(), SIGKILL)
        }
    }
}

/// Admin answers loopback callers (127.0.0.0/8, ::1); when `LAB_ADMIN_TOKEN` is set, a matching
/// `Authorization: Bearer <token>` is required instead (from anywhere, e.g. another container).
struct AdminGuard: RouterMiddleware {
    let token: String?

    init(token: String?) { self.token = token.flatMap { $0.isEmpty ? nil : $0 } }

    func handle(
        _ request: Request, context: LabRequestContext, next: (Request, LabRequestContext) async throws -> Response
    ) async throws -> Response {
        if let token {
            guard Self.presentsBearer(token, request.headers[.authorization]) else {
                return .jsonError("admin API requires 'Authorization: Bearer <LAB_ADMIN_TOKEN>'", status: .forbidden)
            }
        } else if !Self.isLoopback(context.remoteAddress) {
            return .jsonError("admin API answers loopback callers only (set LAB_ADMIN_TOKEN to allow others)", status: .forbidden)
        }
        return try await next(request, context)
    }

    /// `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 9110 §11.1: `bearer`,
    /// `BEARER` are the same scheme), the token is compared exactly.
    static func presentsBearer(_ token: String, _ authorization: String?) -> Bool {
        guard let authorization else { return false }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        let presented = parts[1].trimmingCharacters(in: .whitespaces)
        // Compare every byte whatever the first mismatch, so timing does not reveal how much was right.
        let a = Array(presented.utf8)
        let b = Array(token.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let address else { return false }
        switch address {
        case .v4(let a): return (UInt32(bigEndian: a.address.sin_addr.s_addr) >> 24) == 127
        case .v6:
            guard let ip = address.ipAddress else { return false }
            return ip == "::1" || ip.hasPrefix("::ffff:127.")
        case .unixDomainSocket: return true
        }
    }
}
