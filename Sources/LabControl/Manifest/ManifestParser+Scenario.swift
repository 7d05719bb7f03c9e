import Foundation
import LabKit

/// The scenario, dashboard, measurements and expectations sections of lab.yaml.
extension ManifestParser.Context {
    // MARK: scenario

    mutating func scenario(_ reader: NodeReader) throws -> ScenarioSpec {
        let fields = try reader.mapping(allowed: ["target", "phases", "requests", "actions"])
        var target: String?
        if let targetReader = fields.optional("target") {
            target = try loadTarget(targetReader)
        }
        var requests: [RequestSpec] = []
        if let reader = fields.optional("requests") { requests = try self.requests(reader) }
        var phases: [PhaseSpec] = []
        let phasesReader = try fields.required("phases")
        let phaseItems = try phasesReader.sequence()
        guard !phaseItems.isEmpty else { throw phasesReader.error("a scenario needs at least one phase") }
        for item in phaseItems {
            let phase = try self.phase(item)
            guard !phaseNames.contains(phase.name) else {
                throw try item.anyMapping().required("name").error("phase '\(phase.name)' is declared twice")
            }
            if phase.requests == nil && requests.isEmpty && phase.load != .idle {
                throw item.error("phase '\(phase.name)' sends load but there are no requests (add 'requests' to the scenario or the phase)")
            }
            phaseNames.insert(phase.name)
            phases.append(phase)
        }
        var scenario = ScenarioSpec(target: target, phases: phases, requests: requests, actions: [])
        if let actionsReader = fields.optional("actions") {
            scenario.actions = try actionsReader.sequence().map { try action($0, scenario) }
        }
        return scenario
    }

    mutating func phase(_ reader: NodeReader) throws -> PhaseSpec {
        let fields = try reader.mapping(allowed: ["name", "duration", "load", "requests"])
        let name = try fields.required("name").identifier()
        let durationReader = try fields.required("duration")
        let duration = try durationReader.durationSeconds()
        guard duration.seconds > 0 else { throw durationReader.error("must be longer than 0s") }
        var requests: [RequestSpec]?
        if let reader = fields.optional("requests") { requests = try self.requests(reader) }
        return PhaseSpec(
            name: name, duration: duration.text, durationSeconds: duration.seconds,
            load: try fields.optional("load").map(load) ?? .idle, requests: requests)
    }

    func load(_ reader: NodeReader) throws -> LoadSpec {
        let fields = try reader.mapping(allowed: ["rate", "rps", "users", "think_time"])
        let rate = fields.optional("rate") ?? fields.optional("rps")
        if fields.contains("rate") && fields.contains("rps") {
            throw try fields.required("rps").error("'rate' and 'rps' mean the same; write one")
        }
        if let rate, let users = fields.optional("users") {
            throw users.error("a phase is either open loop ('\(rate.path.split(separator: ".").last!)') or closed loop ('users'), not both")
        }
        if let rate {
            if fields.contains("think_time") { throw try fields.required("think_time").error("think_time goes with 'users'") }
            let value = try rate.double()
            guard value >= 0 else { throw rate.error("must not be negative") }
            guard value <= LabLimits.maxRate else {
                throw rate.error("must be at most \(Int(LabLimits.maxRate)) requests per second, found \(value)")
            }
            return value == 0 ? .idle : .rate(value)
        }
        if let usersReader = fields.optional("users") {
            let users = try usersReader.int(in: 0...LabLimits.maxUsers)
            let think = try fields.optional("think_time")?.durationSeconds().seconds ?? 0
            return users == 0 ? .idle : .users(users, thinkSeconds: think)
        }
        throw reader.error("give 'rate' (requests per second) or 'users' (concurrent users)")
    }

    mutating func requests(_ reader: NodeReader) throws -> [RequestSpec] {
        let items = try reader.sequence()
        guard !items.isEmpty else { throw reader.error("needs at least one request") }
        var names = Set<String>()
        return try items.map { item in
            let fields = try item.mapping(allowed: ["name", "method", "path", "weight", "headers", "body", "keys", "timeout"])
            let pathReader = try fields.required("path")
            let path = try pathReader.string()
            guard path.hasPrefix("/") else { throw pathReader.error("must start with '/', found '\(path)'") }
            let nameReader = fields.optional("name")
            let name = try nameReader?.identifier() ?? path
            guard names.insert(name).inserted else {
                throw (nameReader ?? pathReader).error("request '\(name)' appears twice (give each a distinct 'name')")
            }
            requestNames.insert(name)
            var method = "GET"
            if let methodReader = fields.optional("method") {
                method = try methodReader.string().uppercased()
                guard ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(method) else {
                    throw methodReader.error("'\(method)' is not an HTTP method this generator sends")
                }
            }
            let weight = try fields.optional("weight")?.positiveDouble(atMost: LabLimits.maxWeight) ?? 1
            let body: String? = try fields.optional("body").map { reader in
                if case .scalar = reader.node { return try reader.string() }
                return try reader.json().encodedString()
            }
            var timeout: Double?
            if let timeoutReader = fields.optional("timeout") {
                let (text, seconds) = try timeoutReader.durationSeconds()
                guard seconds > 0 else { throw timeoutReader.error("must be longer than zero, found '\(text)'") }
                timeout = seconds
            }
            return RequestSpec(
                name: name, method: method, path: path, weight: weight,
                headers: try fields.optional("headers")?.stringMap() ?? [:], body: body,
                keys: try fields.optional("keys").map(keys) ?? .default, timeoutSeconds: timeout)
        }
    }

    func keys(_ reader: NodeReader) throws -> KeyDistribution {
        let fields = try reader.mapping(allowed: ["distribution", "s", "count"])
        var count = KeyDistribution.default.count
        if let countReader = fields.optional("count") {
            count = try countReader.int(in: 1...LabLimits.maxKeyCount)
        }
        let distributionReader = fields.optional("distribution")
        switch try distributionReader?.string() ?? "uniform" {
        case "uniform":
            if let s = fields.optional("s") { throw s.error("'s' is the zipf exponent; the distribution is uniform") }
            return KeyDistribution(shape: .uniform, count: count)
        case "zipf":
            let s = try fields.optional("s")?.positiveDouble(atMost: LabLimits.maxZipfExponent) ?? 1.0
            return KeyDistribution(shape: .zipf(s: s), count: count)
        case let other:
            throw distributionReader!.error("'\(other)' is not a key distribution (uniform or zipf)")
        }
    }

    static let actionKinds = [
        "set_fault", "clear_fault", "proxy_toxic", "kill", "stop", "cont", "restart", "start", "terminate", "set_config", "call", "infra",
        "chaos",
    ]

    mutating func action(_ reader: NodeReader, _ scenario: ScenarioSpec) throws -> ActionSpec {
        let fields = try reader.mapping(allowed: ["at", "phase"] + Self.actionKinds)
        let present = fields.keys.filter(Self.actionKinds.contains)
        guard present.count == 1, let kindName = present.first, let body = fields.optional(kindName) else {
            let message =
                present.isEmpty
                ? "an action needs one of: \(Self.actionKinds.joined(separator: ", "))"
                : "one action per item, found \(present.joined(separator: " and "))"
            throw reader.error(message)
        }
        let atReader = try fields.required("at")
        let at = try atReader.durationSeconds()
        var offset = 0.0
        var phase: String?
        var phaseDuration = scenario.totalSeconds
        if let phaseReader = fields.optional("phase") {
            let name = try phaseReader.identifier()
            guard let start = scenario.startOffset(ofPhase: name) else {
                throw phaseReader.error("unknown phase '\(name)'\(hint(name, scenario.phases.map(\.name)))")
            }
            phase = name
            offset = start
            phaseDuration = scenario.phases.first { $0.name == name }!.durationSeconds
        }
        guard at.seconds <= phaseDuration else {
            throw atReader.error(
                "\(at.text) is after the end of \(phase.map { "phase '\($0)'" } ?? "the scenario") (\(LabDurationFormat.text(phaseDuration)))"
            )
        }

        let kind: ActionSpec.Kind
        switch kindName {
        case "set_fault":
            let f = try body.mapping(allowed: ["service", "fault"])
            kind = .setFault(service: try serviceInstance(try f.required("service")), fault: try f.required("fault").json())
        case "clear_fault":
            kind = .clearFault(service: try serviceTarget(body))
        case "proxy_toxic":
            let f = try body.mapping(allowed: ["proxy", "toxic"])
            let proxyReader = try f.required("proxy")
            let proxy = try proxyReader.identifier()
            // A proxy in front of a whole item (`proxied: true`), or one a kind puts on an inner link.
            let inner = infrastructureNames.values.flatMap { $0.kind.definition?.proxyNames($0) ?? [] }
            guard infrastructureNames[proxy]?.proxied == true || inner.contains(proxy) else {
                let proxied = (infrastructureNames.values.filter(\.proxied).map(\.name) + inner).sorted()
                throw proxyReader.error(
                    "no proxied infrastructure named '\(proxy)' (mark one 'proxied: true'; proxied: \(proxied.isEmpty ? "none" : proxied.joined(separator: ", ")))"
                )
            }
            kind = .proxyToxic(proxy: proxy, toxic: try f.required("toxic").json())
        case "kill": kind = .kill(service: try serviceTarget(body))
        case "stop": kind = .stop(service: try serviceTarget(body))
        case "cont": kind = .cont(service: try serviceTarget(body))
        case "restart": kind = .restart(service: try serviceTarget(body))
        case "start": kind = .start(service: try serviceTarget(body))
        case "terminate": kind = .terminate(service: try serviceTarget(body))
        case "call":
            let f = try body.mapping(allowed: ["service", "method", "path", "body"])
            let method = try f.optional("method")?.string().uppercased() ?? "POST"
            guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) else {
                throw f.optional("method")!.error("'\(method)' is not one of GET, POST, PUT, PATCH, DELETE")
            }
            let pathReader = try f.required("path")
            let path = try pathReader.string()
            guard path.hasPrefix("/") else { throw pathReader.error("must start with /, found '\(path)'") }
            kind = .call(
                service: try serviceInstance(try f.required("service")), method: method, path: path, body: try f.optional("body")?.json())
        case "infra":
            let f = try body.mapping(allowed: ["name", "command", "args"])
            let nameReader = try f.required("name")
            let name = try nameReader.identifier()
            guard infrastructureNames[name] != nil else {
                throw nameReader.error("unknown infrastructure '\(name)'\(hint(name, Array(infrastructureNames.keys)))")
            }
            kind = .infra(name: name, command: try f.required("command").identifier(), arguments: try f.optional("args")?.json() ?? .null)
        case "chaos":
            kind = .chaos(experiment: try chaosExperiment(body))
        default:
            let f = try body.mapping(allowed: ["service", "knobs"])
            kind = .setConfig(service: try serviceInstance(try f.required("service")), knobs: try f.required("knobs").jsonObject())
        }
        return ActionSpec(atSeconds: offset + at.seconds, at: at.text, phase: phase, kind: kind)
    }

    /// `chaos: <name>`: `experiments/<name>.yaml` next to lab.yaml, parsed against this lab's
    /// services and proxies; its errors name that file. Its PromQL joins the promtool check.
    mutating func chaosExperiment(_ reader: NodeReader) throws -> ChaosExperiment {
        let name = try reader.identifier()
        let display = (file as NSString).deletingLastPathComponent
        let shown = (display.isEmpty ? "" : display + "/") + "experiments/\(name).yaml"
        guard let labDirectory else { throw reader.error("chaos experiments need the lab's directory") }
        let url = labDirectory.appendingPathComponent("experiments/\(name).yaml")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw reader.error("no experiment '\(name)': \(shown) does not exist")
        }
        let targets = ChaosTargets(
            replicas: roles.mapValues(\.replicas), proxies: ChaosTargets.proxies(Array(infrastructureNames.values)))
        let experiment = try ChaosExperimentParser.load(url, displayName: shown, targets: targets)
        if !chaosExperimentNames.contains(experiment.name) {
            chaosExperimentNames.append(experiment.name)
            promqlExpressions += experiment.promqlExpressions
        }
        return experiment
    }

    /// `kill: backend` or `kill: {service: backend}`.
    func serviceTarget(_ reader: NodeReader) throws -> String {
        if case .scalar = reader.node { return try serviceInstance(reader) }
        return try serviceInstance(try reader.mapping(allowed: ["service"]).required("service"))
    }

    /// A role or one replica of it (`backend-2`, 1-based).
    func serviceInstance(_ reader: NodeReader) throws -> String {
        let name = try reader.string()
        if roles[name] != nil { return name }
        if let dash = name.lastIndex(of: "-"), let replica = Int(name[name.index(after: dash)...]),
            let service = roles[String(name[..<dash])]
        {
            guard (1...service.replicas).contains(replica) else {
                throw reader.error("'\(service.role)' has \(service.replicas) replica(s); '\(name)' does not exist")
            }
            return name
        }
        throw reader.error("unknown service '\(name)'\(hint(name, Array(roles.keys)))")
    }

    /// `scenario.target`: a role, or an infrastructure item that serves HTTP (a balancer).
    func loadTarget(_ reader: NodeReader) throws -> String {
        let name = try reader.string()
        if roles[name] != nil { return name }
        if let item = infrastructureNames[name] {
            guard item.kind.definition?.servesHTTP == true else {
                throw reader.error(
                    "'\(name)' is \(item.kind) infrastructure, which does not serve HTTP; the load goes to a service or a balancer")
            }
            return name
        }
        let candidates = Array(roles.keys) + infrastructureNames.values.filter { $0.kind.definition?.servesHTTP == true }.map(\.name)
        throw reader.error("unknown service or balancer '\(name)'\(hint(name, candidates))")
    }

    func role(_ reader: NodeReader) throws -> String {
        let name = try reader.string()
        guard roles[name] != nil else { throw reader.error("unknown service '\(name)'\(hint(name, Array(roles.keys)))") }
        return name
    }

    // MARK: dashboard, measurements, expectations

    mutating func dashboard(_ reader: NodeReader) throws -> [DashboardPanel] {
        let fields = try reader.mapping(allowed: ["panels"])
        return try (fields.optional("panels")?.sequence() ?? []).map { item in
            let panel = try item.mapping(allowed: ["title", "promql", "unit", "description"])
            return DashboardPanel(
                title: try panel.required("title").nonEmptyString(),
                promql: try promql(try panel.required("promql")),
                unit: try panel.optional("unit")?.string() ?? "short",
                description: try panel.optional("description")?.string())
        }
    }

    /// A PromQL field, remembered with its line for the catalog's parse check (`PromQLChecker`).
    mutating func promql(_ reader: NodeReader) throws -> String {
        let expression = try reader.nonEmptyString()
        promqlExpressions.append(PromQLExpression(expression: expression, file: file, line: reader.line, field: reader.path))
        return expression
    }

    /// `traces`, `slowest_seconds`, `self_time_share:<service>`, `culprit_is:<service>`, where the
    /// service is one the lab runs (spans carry the role as `service.name`).
    func traceFact(_ reader: NodeReader) throws -> String {
        let fact = try reader.nonEmptyString()
        let facts = MeasurementSpec.traceFacts
        let parts = fact.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let named = facts.map { $0.hasSuffix(":") ? $0 + "<service>" : $0 }
        guard facts.contains(parts.count == 2 ? parts[0] + ":" : parts[0]) else {
            let head = parts[0] + (parts.count == 2 ? ":" : "")
            throw reader.error("unknown trace fact '\(fact)'\(hint(head, facts)); one of: \(named.joined(separator: ", "))")
        }
        guard parts.count == 2 else { return fact }
        let services = Set(roles.keys).union(roles.values.compactMap { $0.env["OTEL_SERVICE_NAME"] })
        guard services.contains(parts[1]) else {
            throw reader.error(
                "'\(fact)' names no service of this lab\(hint(parts[1], Array(services))); services: \(services.sorted().joined(separator: ", "))"
            )
        }
        return fact
    }

    mutating func measurements(_ reader: NodeReader) throws -> [MeasurementSpec] {
        try reader.sequence().map { item in
            let fields = try item.mapping(allowed: [
                "name", "promql", "loadgen", "request", "trace", "expr", "chaos", "experiment", "phase", "unit", "description",
            ])
            let nameReader = try fields.required("name")
            let name = try nameReader.identifier()
            let declaredBefore = measurementNames
            guard measurementNames.insert(name).inserted else { throw nameReader.error("measurement '\(name)' is declared twice") }
            let sources = ["promql", "loadgen", "trace", "expr", "chaos"].filter(fields.contains)
            guard sources.count == 1 else {
                throw item.error(
                    sources.isEmpty
                        ? "a measurement needs one of: promql, loadgen, trace, expr, chaos"
                        : "a measurement has one source, found \(sources.joined(separator: " and "))")
            }
            let source: MeasurementSpec.Source
            switch sources[0] {
            case "promql":
                source = .promql(try promql(try fields.required("promql")))
            case "loadgen":
                let statReader = try fields.required("loadgen")
                let stat = try statReader.string()
                guard MeasurementSpec.loadgenStats.contains(stat) else {
                    throw statReader.error(
                        "unknown load generator statistic '\(stat)'\(hint(stat, MeasurementSpec.loadgenStats)); one of: \(MeasurementSpec.loadgenStats.joined(separator: ", "))"
                    )
                }
                var request: String?
                if let requestReader = fields.optional("request") {
                    request = try requestReader.string()
                    guard requestNames.contains(request!) else {
                        throw requestReader.error("unknown request '\(request!)'\(hint(request!, Array(requestNames)))")
                    }
                }
                source = .loadgen(stat: stat, request: request)
            case "expr":
                let exprReader = try fields.required("expr")
                let term: ExpectationExpression.Term
                do {
                    term = try ExpectationExpression.parseArithmetic(try exprReader.scalarText())
                } catch {
                    throw exprReader.error("\(error)")
                }
                for used in term.variants.sorted() where !declaredBefore.contains(used) {
                    throw exprReader.error("'\(used)' is not a measurement declared above this one\(hint(used, Array(declaredBefore)))")
                }
                if let phase = fields.optional("phase") {
                    throw phase.error("a derived measurement takes the phases of the measurements it uses")
                }
                source = .derived(term)
            case "chaos":
                source = try chaosStatistic(try fields.required("chaos"), fields.optional("experiment"))
                if let phase = fields.optional("phase") {
                    throw phase.error("a chaos measurement is the experiment's outcome; it takes no phase")
                }
            default:
                source = .trace(try traceFact(try fields.required("trace")))
            }
            if !fields.contains("chaos"), let experiment = fields.optional("experiment") {
                throw experiment.error("'experiment' names the chaos experiment of a 'chaos' measurement")
            }
            if !fields.contains("loadgen"), let request = fields.optional("request") {
                throw request.error("'request' filters a loadgen statistic")
            }
            var phase: String?
            if let phaseReader = fields.optional("phase") {
                phase = try phaseReader.identifier()
                guard phaseNames.contains(phase!) else {
                    throw phaseReader.error("unknown phase '\(phase!)'\(hint(phase!, Array(phaseNames)))")
                }
            }
            return MeasurementSpec(
                name: name, source: source, phase: phase, unit: try fields.optional("unit")?.string(),
                description: try fields.optional("description")?.string())
        }
    }

    /// `chaos: aborted` (`ChaosReport.statistics`; `worst:<check>`), `experiment:` one the scenario runs.
    func chaosStatistic(_ reader: NodeReader, _ experimentReader: NodeReader?) throws -> MeasurementSpec.Source {
        let statistic = try reader.nonEmptyString()
        let known = ChaosReport.statistics
        let head = statistic.hasPrefix("worst:") ? "worst:" : statistic
        guard known.contains(head), head != "worst:" || statistic.count > "worst:".count else {
            throw reader.error(
                "unknown chaos statistic '\(statistic)'\(hint(statistic, known)); one of: \(known.map { $0 == "worst:" ? "worst:<check>" : $0 }.joined(separator: ", "))"
            )
        }
        guard !chaosExperimentNames.isEmpty else {
            throw reader.error("the scenario runs no chaos experiment (add an action `chaos: <name>`)")
        }
        var experiment: String?
        if let experimentReader {
            let name = try experimentReader.identifier()
            guard chaosExperimentNames.contains(name) else {
                throw experimentReader.error(
                    "the scenario runs no experiment '\(name)'\(hint(name, chaosExperimentNames)); it runs: \(chaosExperimentNames.joined(separator: ", "))"
                )
            }
            experiment = name
        } else if chaosExperimentNames.count > 1 {
            throw reader.error("the scenario runs \(chaosExperimentNames.count) experiments; name one with 'experiment:'")
        }
        return .chaos(statistic: statistic, experiment: experiment)
    }

    func expectations(_ reader: NodeReader) throws -> [ExpectationSpec] {
        try reader.sequence().map { item in
            let fields = try item.mapping(allowed: ["measurement", "check", "why"])
            let measurementReader = try fields.required("measurement")
            let measurement = try measurementReader.identifier()
            guard measurementNames.contains(measurement) else {
                throw measurementReader.error("unknown measurement '\(measurement)'\(hint(measurement, Array(measurementNames)))")
            }
            let checkReader = try fields.required("check")
            let check = try checkReader.scalarText()
            let parsed: ExpectationExpression
            do {
                parsed = try ExpectationExpression.parse(check)
            } catch let error as ExpectationSyntaxError {
                throw checkReader.error(error.message)
            }
            for variant in parsed.variants.sorted() where !variantNames.contains(variant) {
                throw checkReader.error(
                    "'\(variant)' is not a variant\(hint(variant, Array(variantNames))); variants: \(variantNames.sorted().joined(separator: ", "))"
                )
            }
            return ExpectationSpec(measurement: measurement, check: check, parsed: parsed, why: try fields.optional("why")?.string())
        }
    }
}

/// Seconds as a short duration text (`90s`, `1.5s`).
enum LabDurationFormat {
    static func text(_ seconds: Double) -> String {
        seconds.rounded() == seconds ? "\(Int(seconds))s" : "\(seconds)s"
    }
}
