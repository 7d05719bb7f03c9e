import Synchronization

// Lua scripting: EVAL, EVALSHA, SCRIPT LOAD, and `RedisScript`, which caches the SHA1.

extension RedisClient {
    /// `EVAL script numkeys key... arg...`: the script's return value.
    @discardableResult
    public func eval(_ script: String, keys: [String] = [], args: [RedisArgument] = []) async throws -> RESPValue {
        try await send(["EVAL", RedisArgument(script), RedisArgument(keys.count)] + keys.map { RedisArgument($0) } + args)
    }

    /// `EVALSHA sha1 numkeys key... arg...`. Throws `.server("NOSCRIPT ...")` when the server does
    /// not have the script (it forgets them on restart and SCRIPT FLUSH).
    @discardableResult
    public func evalSHA(_ sha1: String, keys: [String] = [], args: [RedisArgument] = []) async throws -> RESPValue {
        try await send(["EVALSHA", RedisArgument(sha1), RedisArgument(keys.count)] + keys.map { RedisArgument($0) } + args)
    }

    /// `SCRIPT LOAD script`: the SHA1 to pass to EVALSHA.
    public func scriptLoad(_ script: String) async throws -> String {
        try await send("SCRIPT", "LOAD", RedisArgument(script)).expectString("SCRIPT LOAD")
    }

    /// Runs a script by SHA1, loading it first when the server does not know it yet.
    @discardableResult
    public func run(_ script: RedisScript, keys: [String] = [], args: [RedisArgument] = []) async throws -> RESPValue {
        if let sha1 = script.cachedSHA1 {
            do {
                return try await evalSHA(sha1, keys: keys, args: args)
            } catch let error as RedisError where error.serverErrorCode == "NOSCRIPT" {
                // The server restarted or flushed its scripts: load again below.
            }
        }
        let sha1 = try await scriptLoad(script.source)
        script.cachedSHA1 = sha1
        return try await evalSHA(sha1, keys: keys, args: args)
    }
}

/// One script call of a pipelined batch (`RedisClient.run(_ calls:)`).
public struct RedisScriptCall: Sendable {
    public var script: RedisScript
    public var keys: [String]
    public var args: [RedisArgument]

    public init(_ script: RedisScript, keys: [String] = [], args: [RedisArgument] = []) {
        self.script = script
        self.keys = keys
        self.args = args
    }

    func evalSHA(_ sha1: String) -> [RedisArgument] {
        ["EVALSHA", RedisArgument(sha1), RedisArgument(keys.count)] + keys.map { RedisArgument($0) } + args
    }
}

extension RedisClient {
    /// Runs several scripts in one round trip (EVALSHA each, pipelined) and returns one reply per call,
    /// in order; a script error comes back in place as `.error`. Scripts not loaded yet are loaded
    /// first; a call the server answers NOSCRIPT (it restarted or flushed its scripts) did not run, so
    /// its script is loaded and that call alone is sent again — calls that ran are never repeated.
    public func run(_ calls: [RedisScriptCall]) async throws -> [RESPValue] {
        guard !calls.isEmpty else { return [] }
        var shas: [String] = []
        for call in calls {
            if let sha1 = call.script.cachedSHA1 {
                shas.append(sha1)
            } else {
                let sha1 = try await scriptLoad(call.script.source)
                call.script.cachedSHA1 = sha1
                shas.append(sha1)
            }
        }
        var replies = try await pipeline(zip(calls, shas).map { call, sha1 in call.evalSHA(sha1) })
        let missing = replies.indices.filter { if case .error(let message) = replies[$0] { message.hasPrefix("NOSCRIPT") } else { false } }
        if !missing.isEmpty {
            for index in missing {
                let sha1 = try await scriptLoad(calls[index].script.source)
                calls[index].script.cachedSHA1 = sha1
                shas[index] = sha1
            }
            let retried = try await pipeline(missing.map { calls[$0].evalSHA(shas[$0]) })
            for (index, reply) in zip(missing, retried) { replies[index] = reply }
        }
        return replies
    }
}

/// A Lua script sent once with SCRIPT LOAD and afterwards by its SHA1 (less bandwidth per call,
/// and the server keeps it compiled). Define it once and share it; it is safe to use concurrently.
public final class RedisScript: Sendable {
    public let source: String
    private let sha1 = Mutex<String?>(nil)

    public init(_ source: String) { self.source = source }

    var cachedSHA1: String? {
        get { sha1.withLock { $0 } }
        set { sha1.withLock { $0 = newValue } }
    }
}
