/// A `HOST:PORT` command-line address: `127.0.0.1:6379`, `localhost:5432`, `[::1]:8474`.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `text`; the error message says what is wrong and shows the expected form.
    /// `allowPortZero`: let the kernel choose a free port (for listening addresses).
    public init(parsing text: String, allowPortZero: Bool = false) throws(HostPortError) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            // [IPv6]:port
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw HostPortError(text: text, reason: "an IPv6 address must look like [::1]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw HostPortError(text: text, reason: "missing ':PORT'")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw HostPortError(text: text, reason: "write IPv6 addresses in brackets, e.g. [::1]:PORT")
            }
        }
        guard !host.isEmpty else { throw HostPortError(text: text, reason: "missing HOST") }
        guard let port = Int(portText), port >= (allowPortZero ? 0 : 1), port <= 65535 else {
            throw HostPortError(
                text: text, reason: "port '\(portText)' must be a number from \(allowPortZero ? 0 : 1) to 65535")
        }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public struct HostPortError: Error, Sendable, Hashable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "'\(text)' is not HOST:PORT (e.g. 127.0.0.1:6379): \(reason)" }
}
