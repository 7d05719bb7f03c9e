import Foundation
import LabKit

/// `kind: etcd`: a real single-member etcd → `ETCD_URL=http://127.0.0.1:P` (its v3 HTTP/JSON gateway:
/// leases, compare-and-swap transactions; LabKit's `EtcdClient`). For leader leases and fencing.
///
/// `infra` commands: `stop` / `cont` (SIGSTOP / SIGCONT: etcd frozen, leases stop being renewed).
struct EtcdKind: InfrastructureKind {
    var name: String { "etcd" }
    var programs: [String] { ["etcd"] }
    var conventionalURLVariable: String? { "ETCD_URL" }

    func start(_ item: InfrastructureSpec, _ context: InfrastructureContext) async throws -> StartedInfrastructure {
        let etcd = try await EtcdServer.start(directory: context.directory, locator: context.locator)
        return StartedInfrastructure(
            url: etcd.url, processes: [etcd.process], stop: { await etcd.stop() },
            command: { command, _ in
                switch command {
                case "stop": etcd.process.send(SIGSTOP, toGroup: true)
                case "cont": etcd.process.send(SIGCONT, toGroup: true)
                default: throw RuntimeError("etcd understands stop and cont, not '\(command)'")
                }
                return "\(command) etcd (pid \(etcd.process.pid))"
            })
    }

    func composeImage(_ item: InfrastructureSpec) -> ComposeImages? {
        var images = ComposeImages(
            image: "gcr.io/etcd-development/etcd:v3.4.23", port: 2379, urlScheme: "http",
            healthcheck: "etcdctl endpoint health")
        images.command = [
            "etcd", "--name", item.name, "--data-dir", "/etcd-data",
            "--listen-client-urls", "http://0.0.0.0:2379", "--advertise-client-urls", "http://\(item.name):2379",
        ]
        return images
    }
}
