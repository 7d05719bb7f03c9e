import ArgumentParser
import Foundation
import LabControl

/// `labctl traces`: what the embedded receiver stored, as a table or one trace as a waterfall.
struct TracesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traces",
        abstract: "Show stored traces: recent, slowest, or one as a waterfall.",
        discussion: """
            Traces come from the embedded OTLP receiver that `labctl up` and `labctl run`
            start; they are kept in <state-dir>/traces (.lab/traces).

            Examples:
              labctl traces                          recent traces, newest first
              labctl traces --slowest 5 --lab 7      the five slowest traces of week 7
              labctl traces --trace 4bf92f35         one trace as a waterfall (an id
                                                     prefix is enough) and where the
                                                     time went
              labctl traces --trace 4bf9 --export t.json
                                                     OTLP/JSON that Jaeger's UI opens
                                                     (Search, then JSON File)
            """
    )

    @OptionGroup var locations: LabLocations
    @Option(help: "Only traces of this lab (7, week07 or its slug).") var lab: String?
    @Option(help: "Show the N slowest traces.") var slowest: Int?
    @Option(help: "Print this trace (id or unambiguous prefix) as a waterfall.") var trace: String?
    @Option(help: "Only traces with spans from this service.") var service: String?
    @Option(help: "Write the selected traces as OTLP/JSON to this file (Jaeger's UI can open it).") var export: String?
    @Option(help: "How many recent traces to list.") var limit: Int = 20
    @Option(help: "The trace store directory (default: <state-dir>/traces).") var store: String?

    func validate() throws {
        if let slowest, slowest <= 0 { throw ValidationError("--slowest must be a positive number") }
        if limit <= 0 { throw ValidationError("--limit must be a positive number") }
    }

    func run() async throws {
        // Read-only: a running lab may be writing to the same store.
        let directory = store ?? locations.stateDirectory.appendingPathComponent("traces").path
        let traceStore = try TraceStore(directory: directory, readOnly: true)
        for note in traceStore.statistics.recoveryNotes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
        let query = TraceQuery(service: service, namespace: lab.map(labID))

        if let trace {
            let id = try traceStore.resolve(idPrefix: trace)
            guard let found = try traceStore.trace(id) else { throw Failure("no stored trace has id \(trace)") }
            print(WaterfallRenderer().render(found), terminator: "")
            try exportIfAsked([found])
            return
        }

        let summaries = slowest.map { traceStore.slowest($0, query) } ?? traceStore.recent(limit: limit, query)
        if summaries.isEmpty {
            print("no traces stored in \(directory)\(lab.map { " for lab \($0)" } ?? "")\(service.map { " for service \($0)" } ?? "")")
            print("(run a lab with `labctl up` or `labctl run`; its services send traces to the embedded receiver)")
        } else {
            print(TraceTableRenderer().render(summaries), terminator: "")
            print("\(summaries.count) trace(s) shown; `labctl traces --trace ID` draws one as a waterfall")
        }
        try exportIfAsked(try traceStore.traces(summaries.map(\.traceID)))
    }

    /// The runtime tags spans with the lab's id (`service.namespace`); a learner may name the lab by
    /// week or slug, which the catalog resolves. Without a catalog, the name is matched as given.
    private func labID(_ name: String) -> String {
        (try? locations.catalog().resolve(name).manifest.id) ?? name
    }

    private func exportIfAsked(_ traces: [Trace]) throws {
        guard let export else { return }
        try Data(OTLPJSON.encode(traces: traces)).write(to: URL(fileURLWithPath: export))
        let spanCount = traces.reduce(0) { $0 + $1.spans.count }
        print("wrote \(traces.count) trace(s), \(spanCount) span(s) as OTLP/JSON to \(export)")
    }
}
