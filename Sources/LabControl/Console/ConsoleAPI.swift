import AsyncHTTPClient
import Foundation
import Hummingbird
import LabKit
import NIOCore
import Telemetry

/// The JSON the console's pages read (`/console/api/…`) and the controls they post.
struct ConsoleAPI: Sendable {
    let lab: ConsoleLab
    let panels: ConsolePanels

    var store: TraceStore { lab.store }

    // MARK: Catalog and labs

    /// Every lab: week, title, infrastructure, whether it runs here, its last verdict on this machine.
    func catalog() async -> Response {
        let running = await lab.running
        let stateDirectory = lab.baseOptions.stateDirectory
        let labs: [JSONValue] = lab.catalog.labs.map { entry in
            let m = entry.manifest
            let support = NativeSupport.check(m)
            var row: [String: JSONValue] = [
                "id": .string(m.id), "week": .number(Double(m.week)), "slug": .string(m.slug), "title": .string(m.title),
                "summary": .string(m.summary),
                "infrastructure": .array(m.infrastructure.map { .string($0.kind.description) }),
                "runsHere": .bool(support.runs), "support": .string(support.summary),
                "running": running?.manifest.id == m.id ? .string(running!.variant) : .null,
            ]
            if let last = ComparisonArchive.latest(lab: m.id, stateDirectory: stateDirectory) {
                row["verdict"] = .object([
                    "holds": .bool(last["holds"] as? Bool ?? false),
                    "passed": .number(Double(last["holds_count"] as? Int ?? 0)),
                    "decided": .number(Double(last["decided_count"] as? Int ?? 0)),
                    "at": .number(last["generated_at"] as? Double ?? 0),
                ])
            }
            return .object(row)
        }
        return ConsoleHTTP.json(["labs": .array(labs), "problems": .array(lab.catalog.problems.map { .string("\($0)") })])
    }

    func state() async -> Response {
        ConsoleHTTP.json(await lab.stateJSON())
    }

    /// A lab's description: summary and architecture (Mermaid) from its README, variants, the
    /// scenario's phases and actions, the dashboard's panels.
    func labInfo(_ name: String) async throws -> Response {
        let entry: LabCatalog.Entry
        do { entry = try lab.catalog.resolve(name) } catch { throw ConsoleRequestError(status: 404, parameter: "lab", "\(error)") }
        let m = entry.manifest
        let readme = (try? String(contentsOf: entry.directory.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
        let readmeParts = LabReadme(readme)
        let scenario = m.scenario
        var offset = 0.0
        var phases: [JSONValue] = []
        for phase in scenario?.phases ?? [] {
            phases.append(
                .object([
                    "name": .string(phase.name), "start": .number(offset), "seconds": .number(phase.durationSeconds),
                    "load": .string(Self.describe(phase.load)),
                ]))
            offset += phase.durationSeconds
        }
        let actions: [JSONValue] = (scenario?.actions ?? []).sorted { $0.atSeconds < $1.atSeconds }.map {
            .object(["at": .number($0.atSeconds), "description": .string(ActionExecutor.describe($0.kind))])
        }
        let support = NativeSupport.check(m)
        return ConsoleHTTP.json([
            "id": .string(m.id), "week": .number(Double(m.week)), "slug": .string(m.slug), "title": .string(m.title),
            "summary": .string(m.summary), "intro": .string(readmeParts.intro),
            "mermaid": readmeParts.mermaid.map(JSONValue.string) ?? .null,
            "variants": .array(
                m.variantNames.map { .object(["name": .string($0), "description": .string(m.variants[$0]?.description ?? "")]) }),
            "services": .array(m.services.map { .string($0.role) }),
            "phases": .array(phases), "actions": .array(actions),
            "panels": .array(
                m.dashboard.map {
                    .object([
                        "title": .string($0.title), "unit": .string($0.unit), "description": $0.description.map(JSONValue.string) ?? .null,
                    ])
                }),
            "runsHere": .bool(support.runs), "support": .string(support.summary),
            "testScale": .number(m.test.durationScale), "minScale": .number(m.test.minDurationScale),
        ])
    }

    func panels(_ query: [(key: String, value: String)]) async throws -> Response {
        let seconds = try ConsoleHTTP.double(query, "seconds") ?? 300
        guard seconds > 0 else {
            throw ConsoleRequestError.badParameter("seconds", String(seconds), expected: "a positive number of seconds")
        }
        return ConsoleHTTP.json(await panels.panels(lastSeconds: seconds))
    }

    // MARK: Traces

    /// The console's search: Jaeger's parameters (service optional) plus `errors`, `lab`, `order`.
    func traces(_ query: [(key: String, value: String)]) throws -> Response {
        let search = try JaegerQuery.search(query)
        let clock = ContinuousClock()
        let started = clock.now
        let found = store.search(search)
        let elapsed = clock.now - started
        let rows: [JSONValue] = found.map { s in
            .object([
                "traceID": .string(s.traceID.hex), "root": .string(s.rootName), "rootService": .string(s.rootService),
                "start": .number(Double(s.startNanos) / 1e9), "durationMs": .number(Double(s.durationNanos) / 1e6),
                "spans": .number(Double(s.spanCount)), "errors": .number(Double(s.errorCount)),
                "services": .array(s.services.map(JSONValue.string)),
            ])
        }
        let stats = store.statistics
        return ConsoleHTTP.json([
            "traces": .array(rows),
            "searchMs": .number(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000),
            "storedTraces": .number(Double(stats.traceCount)), "storedSpans": .number(Double(stats.spanCount)),
        ])
    }

    /// One trace for the waterfall: spans in display order with depth and self-time, and where the
    /// time went (the same self-time culprit as `labctl traces --trace`).
    func trace(_ idText: String) throws -> Response {
        let id: TraceID
        do {
            id = try store.resolve(idPrefix: idText)
        } catch .noSuchTrace {
            throw ConsoleRequestError(status: 404, parameter: "traceID", "trace not found: \(idText)")
        } catch {
            throw ConsoleRequestError(status: 400, parameter: "traceID", "\(error)")
        }
        guard let trace = try store.trace(id) else {
            throw ConsoleRequestError(status: 404, parameter: "traceID", "trace not found: \(idText)")
        }
        return ConsoleHTTP.json(TraceView.json(trace))
    }

    // MARK: Comparison

    /// The latest comparison of `lab` (default: the running lab), as stored by `labctl compare`.
    func comparison(_ query: [(key: String, value: String)]) async throws -> Response {
        var name = ConsoleHTTP.value(query, "lab")
        if name == nil || name!.isEmpty { name = await lab.running?.manifest.id }
        guard let name, !name.isEmpty else {
            throw ConsoleRequestError(status: 400, parameter: "lab", "parameter 'lab' is required (no lab is running)")
        }
        let entry: LabCatalog.Entry
        do { entry = try lab.catalog.resolve(name) } catch { throw ConsoleRequestError(status: 404, parameter: "lab", "\(error)") }
        guard let data = ComparisonArchive.latestData(lab: entry.manifest.id, stateDirectory: lab.baseOptions.stateDirectory) else {
            throw ConsoleRequestError(
                status: 404, parameter: "lab",
                "no comparison of \(entry.manifest.id) on this machine yet: run `labctl compare \(entry.manifest.slug)` or press Run comparison"
            )
        }
        return ConsoleHTTP.raw(data, contentType: "application/json; charset=utf-8")
    }

    // MARK: Prometheus for Grafana

    /// Forwards `GET /prometheus/<path>?<query>` to the running lab's Prometheus, answer as is.
    func prometheus(_ request: Request) async throws -> Response {
        guard let base = await lab.running?.prometheusURL else {
            throw ConsoleRequestError(status: 503, "no lab with a Prometheus is running")
        }
        let path = String(request.uri.path.dropFirst("/prometheus".count))
        let url = base.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path + (request.uri.query.map { "?" + $0 } ?? "")
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 32 << 20)
        return ConsoleHTTP.raw(
            Data(buffer: body), contentType: response.headers.first(name: "Content-Type") ?? "application/json",
            status: Int(response.status.code))
    }

    // MARK: Controls

    func control(_ verb: String, body: JSONValue?) async throws -> Response {
        let fields: [String: JSONValue] = if case .object(let f)? = body { f } else { [:] }
        func string(_ name: String) -> String? { if case .string(let s)? = fields[name], !s.isEmpty { s } else { nil } }
        func required(_ name: String) throws -> String {
            guard let value = string(name) else { throw ConsoleRequestError(status: 400, parameter: name, "field '\(name)' is required") }
            return value
        }
        func scale() throws -> Double {
            switch fields["scale"] {
            case nil, .null?: return 1
            case .number(let n)?: return n
            case .string(let s)?: if let n = Double(s) { return n }
            default: break
            }
            throw ConsoleRequestError.badParameter("scale", "\(fields["scale"]!)", expected: "a number")
        }
        switch verb {
        case "run":
            try await lab.runScenario(variant: string("variant"), durationScale: try scale())
            return accepted()
        case "variant":
            try await lab.switchVariant(try required("variant"))
            return accepted()
        case "start":
            try await lab.startLab(try required("lab"), variant: string("variant"))
            return accepted()
        case "compare":
            try await lab.runComparison(durationScale: try scale())
            return accepted()
        case "fault":
            guard let fault = fields["fault"], case .object = fault else {
                throw ConsoleRequestError(
                    status: 400, parameter: "fault", "field 'fault' must be an object such as {\"latency\": {\"fixed_ms\": 500}}")
            }
            try await lab.fault(service: try required("service"), fault: fault)
            return ConsoleHTTP.json(["ok": true])
        case "clear-fault":
            try await lab.fault(service: try required("service"), fault: nil)
            return ConsoleHTTP.json(["ok": true])
        case "kill", "stop", "cont", "restart":
            try await lab.signal(ControlChannel.Verb(rawValue: verb)!, service: try required("service"))
            return ConsoleHTTP.json(["ok": true])
        default:
            throw ConsoleRequestError(
                status: 404, parameter: "verb",
                "no control '\(verb)' (run, variant, start, compare, fault, clear-fault, kill, stop, cont, restart)")
        }
    }

    static func describe(_ load: LoadSpec) -> String {
        switch load {
        case .rate(let rate): "\(Comparison.format(rate)) req/s"
        case .users(let users, let think): "\(users) users, \(Comparison.format(think)) s think time"
        case .idle: "no load"
        }
    }

    private func accepted() -> Response { ConsoleHTTP.json(["ok": true, "accepted": true], status: 202) }
}

/// The parts of a lab's README the lab page shows: the first paragraph after the title, and the
/// first Mermaid diagram.
struct LabReadme {
    var intro = ""
    var mermaid: String?

    init(_ text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        if let mermaidStart = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "```mermaid" }),
            let end = lines[(mermaidStart + 1)...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("```") })
        {
            mermaid = lines[(mermaidStart + 1)..<end].joined(separator: "\n")
        }
        while let first = lines.first, first.hasPrefix("#") || first.trimmingCharacters(in: .whitespaces).isEmpty {
            lines = lines.dropFirst()
        }
        intro = lines.prefix { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix("```") }
            .joined(separator: " ")
    }
}
