import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How `labctl kill|stop|cont|restart <service>` in one terminal reaches the `labctl up` that
/// supervises the lab in another: only the supervisor can restart a service (it must be the
/// parent to reap it and to keep the parent-death guarantee).
///
/// A request is a small JSON file in `<state>/control/`; the supervisor polls the directory,
/// performs it, and writes the answer next to it. Files, not sockets: nothing to bind, and a
/// supervisor that died leaves an unanswered request the client times out on.
public enum ControlChannel {
    public enum Verb: String, Codable, Sendable, CaseIterable { case kill, stop, cont, restart }

    struct Request: Codable {
        var verb: Verb
        var service: String
    }
    struct Response: Codable {
        var ok: Bool
        var message: String
    }

    static func directory(_ stateDirectory: URL) -> URL { stateDirectory.appendingPathComponent("control", isDirectory: true) }

    /// Sends a request to the running lab's supervisor and waits for its answer.
    public static func send(_ verb: Verb, service: String, stateDirectory: URL, timeout: Duration = .seconds(120)) async throws -> String {
        guard let state = LabState.read(from: stateDirectory), state.controllerIsAlive else {
            throw RuntimeError("no lab is running (start one with `labctl up <lab>`)")
        }
        let directory = directory(stateDirectory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let id = UUID().uuidString
        let temporary = directory.appendingPathComponent("\(id).tmp")
        try JSONEncoder().encode(Request(verb: verb, service: service)).write(to: temporary)
        try FileManager.default.moveItem(at: temporary, to: directory.appendingPathComponent("\(id).request"))
        let answer = directory.appendingPathComponent("\(id).response")
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let data = try? Data(contentsOf: answer), let response = try? JSONDecoder().decode(Response.self, from: data) {
                try? FileManager.default.removeItem(at: answer)
                guard response.ok else { throw RuntimeError(response.message) }
                return response.message
            }
            guard state.controllerIsAlive else { throw RuntimeError("the lab's labctl (pid \(state.controllerPid)) exited") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RuntimeError("the lab's labctl (pid \(state.controllerPid)) did not answer within \(timeout)")
    }
}

extension RunningLab {
    /// Serves control requests until the calling task is cancelled; `performed` hears of each one
    /// (what was asked, and the error if it failed), so the console can mark it on its charts.
    public func serveControlRequests(performed: @Sendable (_ what: String, _ error: String?) async -> Void = { _, _ in }) async {
        let directory = ControlChannel.directory(stateDirectory)
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        while !Task.isCancelled {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".request") {
                let file = directory.appendingPathComponent(name)
                guard let data = try? Data(contentsOf: file) else { continue }
                try? FileManager.default.removeItem(at: file)
                let response: ControlChannel.Response
                if let request = try? JSONDecoder().decode(ControlChannel.Request.self, from: data) {
                    response = await perform(request)
                    await performed("\(request.verb.rawValue) \(request.service)", response.ok ? nil : response.message)
                } else {
                    response = .init(ok: false, message: "malformed control request")
                }
                let answer = directory.appendingPathComponent(name.replacingOccurrences(of: ".request", with: ".response"))
                try? JSONEncoder().encode(response).write(to: answer, options: .atomic)
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func perform(_ request: ControlChannel.Request) async -> ControlChannel.Response {
        do {
            switch request.verb {
            case .kill: try await kill(request.service)
            case .stop: try await stop(request.service)
            case .cont: try await cont(request.service)
            case .restart: try await restart(request.service)
            }
            let names = try instances(named: request.service).map(\.name).joined(separator: ", ")
            return .init(ok: true, message: "\(request.verb.rawValue): \(names)")
        } catch {
            return .init(ok: false, message: "\(error)")
        }
    }
}
