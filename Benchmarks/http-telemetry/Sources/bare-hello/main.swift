import Foundation
import Hummingbird

// GET /work answers the JSON body that `labsvc selftest backend` answers when it has no Redis and
// no PostgreSQL, encoded the same way (Hummingbird's JSON response encoder), and nothing else:
// the baseline a lab service's runtime (telemetry, faults, admin API) is measured against.
struct Reply: ResponseEncodable {
    let service: String
}

let port = Int(ProcessInfo.processInfo.environment["PORT"] ?? "8080") ?? 8080
let router = Router()
router.get("/work") { _, _ in Reply(service: "backend") }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
