import Foundation
import HTTPTypes
import Hummingbird
import LabKit
import Metrics
import NIOCore
import ServiceLifecycle

/// A generator process (`generator-1..3`): hands out Snowflake ids (the KEY IDEA is in
/// `SnowflakeGenerator.swift`).
///
///     POST /outbox/drain                 every id the application minted since the last drain (8 bytes each,
///                                        big-endian): what the checker collects
///     GET  /ids?count=N[&format=binary]  N new ids (1...10000): JSON strings, or 8 bytes each, big-endian
///     GET  /ids/{id}                     an id taken apart: millisecond, worker id, sequence
///     GET  /clock                        the clock reading, the injected offset, the last millisecond used
///     POST /bench?ms=300                 mints for that long and throws the ids away: ids per second
///
/// Its worker id comes from the registry (`WORKER_IDS=registry`) or a Redis lease (`lease`), and is
/// held before `/readyz` says ready. `503` with the reason when it refuses (the clock is too far
/// behind, or no worker id is held).
enum IdGeneratorService {
    static let maxCount = 10_000

    static func isoTime(unixMs: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(unixMs) / 1000))
    }

    static func build(_ service: LabService) async throws {
        let settings = try IdGeneratorSettings(service.knobs)
        let instance = service.context.environment["LAB_INSTANCE"] ?? service.context.serviceName
        let logger = service.context.logger
        let holder = WorkerIdHolder()
        switch settings.workerIds {
        case .registry:
            let registry = try service.context.peer("registry", timeout: .seconds(2))
            service.addSetup("worker id") { _ in
                try await RegistryWorkerId.obtain(from: registry, instance: instance, into: holder, logger: logger)
            }
        case .lease:
            guard let redis = try service.redis() else {
                throw LabStartupError("WORKER_IDS=lease needs REDIS_URL: the leases live in Redis")
            }
            let owner = "\(instance)#\(UUID().uuidString.prefix(8))"
            service.addService(LeasedWorkerId(redis: redis, owner: owner, ttl: settings.leaseTTL, holder: holder, logger: logger))
            service.addReadinessCheck("worker id") {
                guard holder.current != nil else { throw IssueRefusal.noWorkerId(holder.why) }
            }
        }
        let clock = GeneratorClock(config: service.context.config)
        let generator = SnowflakeGenerator(clock: clock, workerId: holder, onBackwards: settings.clockBackwards, maxWait: settings.maxWait)
        service.addService(GeneratorClockGauges(generator: generator))
        let outbox = Outbox(capacity: settings.outboxCapacity)
        service.addService(
            ApplicationMinting(generator: generator, outbox: outbox, idsPerTick: settings.idsPerTick, tick: settings.tick, logger: logger))

        service.router.post("/outbox/drain") { _, _ -> Response in
            let ids = outbox.drain()
            var buffer = ByteBuffer()
            buffer.reserveCapacity(ids.count * 8)
            for id in ids { buffer.writeInteger(id, endianness: .big) }
            let headers: HTTPFields = [HTTPField.Name("x-generator")!: instance, .contentType: "application/octet-stream"]
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
        }

        service.router.get("/ids") { request, _ -> Response in
            let count = request.uri.queryParameters.get("count", as: Int.self) ?? 1
            guard (1...maxCount).contains(count) else {
                return .jsonError("count: expected a whole number in 1...\(maxCount)", status: .badRequest)
            }
            let format = request.uri.queryParameters.get("format") ?? "json"
            guard format == "json" || format == "binary" else {
                return .jsonError("format: expected json or binary, got '\(format)'", status: .badRequest)
            }
            let ids: [Int64]
            do {
                ids = try await generator.issue(count)
            } catch let refusal as IssueRefusal {
                return .jsonError(refusal.description, status: .serviceUnavailable)
            }
            outbox.countHandedOut(ids.count)
            var headers: HTTPFields = [HTTPField.Name("x-generator")!: instance]
            if let id = ids.first { headers[HTTPField.Name("x-worker-id")!] = String(SnowflakeId(raw: id).worker) }
            if format == "binary" {
                var buffer = ByteBuffer()
                buffer.reserveCapacity(ids.count * 8)
                for id in ids { buffer.writeInteger(id, endianness: .big) }
                headers[.contentType] = "application/octet-stream"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
            }
            headers[.contentType] = "application/json"
            let body: JSONValue = [
                "generator": .string(instance), "worker_id": .number(Double(SnowflakeId(raw: ids[0]).worker)),
                // Strings: a JSON number is a double, exact only up to 2^53; these ids go up to 2^63.
                "ids": .array(ids.map { .string(String($0)) }),
            ]
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.encodedString())))
        }

        service.router.get("/ids/{id}") { _, context -> Response in
            guard let raw = context.parameters.get("id", as: Int64.self), raw >= 0 else {
                return .jsonError("id: expected a whole number ≥ 0 (an id from GET /ids)", status: .badRequest)
            }
            let id = SnowflakeId(raw: raw)
            return .json([
                "id": .string(String(raw)), "ms_since_epoch": .number(Double(id.ms)), "worker_id": .number(Double(id.worker)),
                "sequence": .number(Double(id.sequence)),
                "time": .string(isoTime(unixMs: id.unixMs)),
            ])
        }

        service.router.get("/clock") { _, _ -> JSONValue in
            [
                "wall_unix_ms": .number(Double(GeneratorClock.wallUnixMs())), "offset_ms": .number(Double(clock.offsetMs)),
                "reading_ms": .number(Double(clock.nowMs())), "last_used_ms": .number(Double(generator.lastMs)),
                "behind_ms": .number(Double(generator.behindMs)), "on_backwards": .string(settings.clockBackwards.rawValue),
                "worker_id": holder.current.map { .number(Double($0)) } ?? .null,
            ]
        }

        service.router.post("/bench") { request, _ -> Response in
            let ms = request.uri.queryParameters.get("ms", as: Int.self) ?? 300
            guard (10...10_000).contains(ms) else { return .jsonError("ms: expected a whole number in 10...10000", status: .badRequest) }
            do {
                let (ids, seconds) = try await generator.benchmark(for: .milliseconds(ms))
                return .json([
                    "generator": .string(instance), "ids": .number(Double(ids)), "seconds": .number(seconds),
                    "ids_per_second": .number(Double(ids) / seconds),
                ])
            } catch let refusal as IssueRefusal {
                return .jsonError(refusal.description, status: .serviceUnavailable)
            }
        }
    }
}

/// `id_generator_clock_offset_seconds` (the injected offset) and `id_generator_clock_behind_seconds`
/// (how far the clock reads behind the last millisecond used), every 250 ms.
struct GeneratorClockGauges: Service {
    let generator: SnowflakeGenerator

    func run() async throws {
        let offset = Gauge(label: "id_generator_clock_offset_seconds")
        let behind = Gauge(label: "id_generator_clock_behind_seconds")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                offset.record(Double(generator.clock.offsetMs) / 1000)
                behind.record(Double(generator.behindMs) / 1000)
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}
