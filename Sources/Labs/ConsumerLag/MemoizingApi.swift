import LabKit
import Synchronization

/// KEY IDEA: an answer that does not change is worth remembering. Without the memo every request
/// waits for the backend; with it only the first request for each key does.
enum MemoizingApi {
    static let memoKnob = Knob.flag("MEMO", default: false, "the api remembers the backend's answers")

    static func build(_ service: LabService) async throws {
        let memoEnabled = try service.knobs.read(memoKnob)
        let backend = try service.context.peer("backend", timeout: .seconds(5))
        let memo = Mutex<[String: JSONValue]>([:])

        service.router.get("/items/:id") { _, request -> Response in
            let id = request.parameters.get("id") ?? "0"
            if memoEnabled, let known = memo.withLock({ $0[id] }) { return .json(known) }
            let reply = try await backend.get("/work/\(id)", route: "/work/{id}")
            guard reply.isSuccess else { return .jsonError("backend answered \(reply.status)", status: .badGateway) }
            if memoEnabled { memo.withLock { $0[id] = reply.json } }
            return .json(reply.json)
        }
    }
}
