import Foundation
import LabKit
import Yams

/// What an experiment may name: the lab's services (with their replica counts) and fault proxies.
public struct ChaosTargets: Sendable {
    public var replicas: [String: Int]
    public var proxies: [String]

    public init(replicas: [String: Int], proxies: [String]) {
        self.replicas = replicas
        self.proxies = proxies
    }

    public init(_ manifest: LabManifest) {
        replicas = Dictionary(manifest.services.map { ($0.role, $0.replicas) }, uniquingKeysWith: { a, _ in a })
        proxies = Self.proxies(manifest.infrastructure)
    }

    static func proxies(_ items: [InfrastructureSpec]) -> [String] {
        (items.filter(\.proxied).map(\.name) + items.flatMap { $0.kind.definition?.proxyNames($0) ?? [] }).sorted()
    }
}

/// Reads an experiment file, checking every field as the manifest parser does: unknown keys (with a
/// did-you-mean), wrong types, missing fields, services and proxies the lab does not have are
/// `ManifestError`s naming the file, the line and the field.
public enum ChaosExperimentParser {
    static let topLevelKeys = ["name", "description", "steady_state", "fault", "duration", "poll", "tolerance", "abort"]
    static let faultKinds = ["kill", "stop", "latency", "proxy_down"]

    public static func load(_ url: URL, displayName: String? = nil, targets: ChaosTargets) throws -> ChaosExperiment {
        let file = displayName ?? url.path
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            throw ManifestError(file: file, line: 1, field: "", message: "cannot read the file (\(error.localizedDescription))")
        }
        let name = url.deletingPathExtension().lastPathComponent
        return try parse(yaml: try ManifestParser.text(bytes, file: file), file: file, defaultName: name, targets: targets)
    }

    public static func parse(yaml: String, file: String, defaultName: String, targets: ChaosTargets) throws -> ChaosExperiment {
        let root = try ManifestParser.rootNode(yaml: yaml, file: file)
        let top = try NodeReader(node: root, path: "", file: file).mapping(allowed: topLevelKeys)
        var expressions: [PromQLExpression] = []

        let checksReader = try top.required("steady_state")
        let items = try checksReader.sequence()
        guard !items.isEmpty else { throw checksReader.error("the hypothesis needs at least one check") }
        var names: Set<String> = []
        let checks = try items.map { item in
            let fields = try item.mapping(allowed: ["name", "promql", "at_least", "at_most"])
            let nameReader = try fields.required("name")
            let name = try nameReader.identifier()
            guard names.insert(name).inserted else { throw nameReader.error("check '\(name)' is declared twice") }
            let promqlReader = try fields.required("promql")
            let promql = try promqlReader.nonEmptyString()
            expressions.append(PromQLExpression(expression: promql, file: file, line: promqlReader.line, field: promqlReader.path))
            let atLeast = try fields.optional("at_least")?.double()
            let atMost = try fields.optional("at_most")?.double()
            guard atLeast != nil || atMost != nil else { throw item.error("a check needs a bound: at_least, at_most or both") }
            if let atLeast, let atMost, atLeast > atMost {
                throw fields.optional("at_most")!.error("\(atMost) is below at_least (\(atLeast)): no value can hold")
            }
            return ChaosExperiment.Check(name: name, promql: promql, atLeast: atLeast, atMost: atMost)
        }

        let fault = try self.fault(try top.required("fault"), targets: targets)
        let durationReader = try top.required("duration")
        let duration = try durationReader.durationSeconds()
        guard duration.seconds > 0 else { throw durationReader.error("must be longer than 0") }
        var poll = 1.0
        if let pollReader = top.optional("poll") {
            poll = try pollReader.durationSeconds().seconds
            guard poll >= 0.1 else { throw pollReader.error("must be at least 100ms (Prometheus scrapes once a second)") }
            guard poll <= duration.seconds else {
                throw pollReader.error("is longer than the duration (\(duration.text)): nothing would be measured")
            }
        }
        var abort = ChaosExperiment.Abort()
        if let abortReader = top.optional("abort") {
            let fields = try abortReader.mapping(allowed: ["when"])
            if let whenReader = fields.optional("when") {
                switch try whenReader.string() {
                case "broken": abort.onBreak = true
                case "never": abort.onBreak = false
                case let other: throw whenReader.error("'\(other)' is not one of: broken, never")
                }
            }
        }
        let tolerance = try top.optional("tolerance")?.int(in: 1...100) ?? 1
        var name = defaultName
        if let nameReader = top.optional("name") { name = try nameReader.identifier() }
        return ChaosExperiment(
            name: name, description: try top.optional("description")?.string(), steadyState: checks, fault: fault,
            durationSeconds: duration.seconds, pollSeconds: poll, tolerance: tolerance, abort: abort, promqlExpressions: expressions)
    }

    /// `kill: inventory-1`, `stop: inventory`, `latency: {service: api, ms: 300}`,
    /// `latency: {proxy: redis, ms: 300}`, `proxy_down: redis`; each with the action that undoes it.
    static func fault(_ reader: NodeReader, targets: ChaosTargets) throws -> ChaosExperiment.Fault {
        let fields = try reader.mapping(allowed: faultKinds)
        guard fields.keys.count == 1, let kind = fields.keys.first, let body = fields.optional(kind) else {
            throw reader.error(
                fields.keys.isEmpty
                    ? "a fault needs one of: \(faultKinds.joined(separator: ", "))"
                    : "one fault per experiment, found \(fields.keys.joined(separator: " and "))")
        }
        switch kind {
        case "kill":
            let service = try instance(body, targets)
            return .init(inject: .kill(service: service), rollback: .restart(service: service))
        case "stop":
            let service = try instance(body, targets)
            return .init(inject: .stop(service: service), rollback: .cont(service: service))
        case "proxy_down":
            let proxy = try self.proxy(body, targets)
            return .init(
                inject: .proxyToxic(proxy: proxy, toxic: .object(["type": .string("down")])),
                rollback: .proxyToxic(proxy: proxy, toxic: .object(["type": .string("up")])))
        default:
            let f = try body.mapping(allowed: ["service", "proxy", "ms"])
            let msReader = try f.required("ms")
            let ms = try msReader.int(in: 1...60_000)
            switch (f.optional("service"), f.optional("proxy")) {
            case (let serviceReader?, nil):
                let service = try instance(serviceReader, targets)
                return .init(
                    inject: .setFault(service: service, fault: .object(["latency": .object(["fixed_ms": .number(Double(ms))])])),
                    rollback: .clearFault(service: service))
            case (nil, let proxyReader?):
                let proxy = try self.proxy(proxyReader, targets)
                let toxic: JSONValue = .object([
                    "name": .string("chaos-latency"), "type": .string("latency"), "attributes": .object(["latency": .number(Double(ms))]),
                ])
                return .init(
                    inject: .proxyToxic(proxy: proxy, toxic: toxic),
                    rollback: .proxyToxic(proxy: proxy, toxic: .object(["remove": .string("chaos-latency")])))
            default:
                throw body.error("latency goes on one service or one proxy: give 'service' or 'proxy'")
            }
        }
    }

    /// A role or one replica of it (`inventory-2`, 1-based).
    static func instance(_ reader: NodeReader, _ targets: ChaosTargets) throws -> String {
        let name = try reader.string()
        if targets.replicas[name] != nil { return name }
        if let dash = name.lastIndex(of: "-"), let replica = Int(name[name.index(after: dash)...]),
            let count = targets.replicas[String(name[..<dash])]
        {
            guard (1...count).contains(replica) else {
                throw reader.error("'\(name[..<dash])' has \(count) replica(s); '\(name)' does not exist")
            }
            return name
        }
        let roles = targets.replicas.keys.sorted()
        throw reader.error("unknown service '\(name)'\(hint(name, roles)); services: \(roles.joined(separator: ", "))")
    }

    static func proxy(_ reader: NodeReader, _ targets: ChaosTargets) throws -> String {
        let name = try reader.string()
        guard targets.proxies.contains(name) else {
            throw reader.error(
                "no fault proxy named '\(name)'\(hint(name, targets.proxies)) (mark the infrastructure 'proxied: true'; proxies: \(targets.proxies.isEmpty ? "none" : targets.proxies.joined(separator: ", ")))"
            )
        }
        return name
    }

    static func hint(_ word: String, _ candidates: [String]) -> String {
        DidYouMean.suggestion(for: word, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }
}
