#if canImport(Glibc)
import Glibc
#endif

/// Telemetry benchmarks: ours vs swift-otel 1.6.0 and swift-prometheus 2.4.1. See README.md.
///
///     swift run -c release -Xswiftc -enable-testing --scratch-path .build TelemetryBench [--quick] [--runs N] [--sections 1,2,3,4]
@main
struct TelemetryBench {
    struct Options {
        var quick = false
        var runs = 7
        var spansPerRun = 50_000
        var sections: Set<Int> = [1, 2, 3, 4]
        var collectorDownSeconds = 60
        var collectorDownRate = 5_000
        var only: String?
        var retryConnections = false
    }

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--quick":
                options.quick = true
                options.collectorDownSeconds = 10
            case "--runs": options.runs = number(rest.popFirst(), for: argument)
            case "--spans": options.spansPerRun = number(rest.popFirst(), for: argument)
            case "--down-seconds": options.collectorDownSeconds = number(rest.popFirst(), for: argument)
            case "--sections":
                let list = rest.popFirst()?.split(separator: ",").compactMap { Int($0) } ?? []
                guard !list.isEmpty, list.allSatisfy((1...4).contains) else { usage("--sections takes numbers 1-4, e.g. 1,3") }
                options.sections = Set(list)
            case "--only":
                options.only = rest.popFirst()
                guard options.only == "ours" || options.only == "swift-otel" else { usage("--only takes ours or swift-otel") }
            case "--connect-retry": options.retryConnections = true
            case "-h", "--help": usage(nil)
            default: usage("unknown argument \(argument)")
            }
        }
        return options
    }

    static func number(_ text: String?, for option: String) -> Int {
        guard let text, let value = Int(text), value > 0 else { usage("\(option) needs a positive number") }
        return value
    }

    static func usage(_ problem: String?) -> Never {
        if let problem { print("TelemetryBench: \(problem)") }
        print(
            "usage: TelemetryBench [--quick] [--runs N] [--spans N] [--down-seconds N] [--sections 1,2,3,4] [--only ours|swift-otel] [--connect-retry]"
        )
        exit(problem == nil ? 0 : 2)
    }

    static func main() async throws {
        let options = parse(Array(CommandLine.arguments.dropFirst()))
        var verdicts: [String] = []
        print("## Telemetry benchmarks — \(nproc()) cores, \(options.quick ? "--quick" : "full run")\n")

        if options.sections.contains(1) {
            let (table, ours, theirs) = await SpanBench.run(runs: options.runs, spansPerRun: options.spansPerRun, only: options.only)
            print(table.render())
            verdicts.append(
                "per span: ours \(fixed(ours, 0)) ns (goal < 1000) — \(ours < 1000 ? "met" : "MISSED"); "
                    + "\(fixed(ours / theirs * 100, 0)) % of swift-otel's \(fixed(theirs, 0)) ns (goal ≤ 50 %) — \(ours <= theirs / 2 ? "met" : "MISSED")"
            )
        }
        if options.sections.contains(2) {
            print(try await CodecBench.run(runs: options.runs).render())
        }
        if options.sections.contains(3) {
            let (table, ours, theirs) = await ExpositionBench.run(runs: options.runs)
            print(table.render())
            verdicts.append(
                "exposition: ours \(fixed(ours / 1e6, 2)) ms vs swift-prometheus \(fixed(theirs / 1e6, 2)) ms "
                    + "(goal: no slower) — \(ours <= theirs ? "met" : "MISSED")")
        }
        if options.sections.contains(4) {
            let result = await CollectorDownBench.run(
                duration: .seconds(options.collectorDownSeconds), rate: options.collectorDownRate,
                retryConnections: options.retryConnections)
            for table in result.tables { print(table.render()) }
            verdicts.append("collector down: memory \(result.bounded ? "bounded" : "NOT bounded"), no crash")
        }
        print("### Goals\n")
        for verdict in verdicts { print("- " + verdict) }
    }

    static func nproc() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
