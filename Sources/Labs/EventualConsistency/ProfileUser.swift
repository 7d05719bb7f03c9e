import LabKit
import Metrics

/// A user saving their profile and looking at it: POST the new bio, then GET the profile, carrying
/// the write's LSN (as a session would, in a cookie). The read is stale when it shows an older
/// version than the one just written — counted for every save, exactly, by the one party that knows
/// what it wrote: `read_after_write_total{result="fresh|stale"}`.
///
///     POST /users/{id}/save → 200 {written, read, stale, source}
enum ProfileUser {
    static let knobs: [any LabKnob] = []

    static func build(_ service: LabService) async throws {
        let profiles = try service.context.peer("profiles", timeout: .seconds(5))
        let outcome = { @Sendable (result: String) in Counter(label: "read_after_write_total", dimensions: [("result", result)]) }
        for result in ["fresh", "stale"] { outcome(result).increment(by: 0) }

        service.router.post("/users/:id/save") { _, context -> Response in
            guard let id = context.parameters.get("id", as: Int.self) else { return .jsonError("id must be a number", status: .badRequest) }
            let saved = try await profiles.post("/profiles/\(id)", route: "/profiles/{id}", json: ["bio": .string("bio of user \(id)")])
            guard saved.isSuccess, let written = saved.json["version"]?.intValue, let lsn = saved.json["lsn"]?.stringValue else {
                return .json(saved.json, status: .init(code: saved.status == 200 ? 502 : saved.status))
            }
            let shown = try await profiles.get("/profiles/\(id)", route: "/profiles/{id}", headers: ["x-min-lsn": lsn])
            guard shown.isSuccess || shown.status == 404 else { return .json(shown.json, status: .init(code: shown.status)) }
            let read = shown.json["version"]?.intValue ?? 0 // 404: the standby has not seen the profile at all
            let stale = read < written
            outcome(stale ? "stale" : "fresh").increment()
            return .json([
                "written": .number(Double(written)), "read": .number(Double(read)), "stale": .bool(stale),
                "source": shown.json["source"] ?? .null,
            ])
        }
    }
}
