#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything the tracing pipeline needs, read from the standard OpenTelemetry environment variables
/// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). Bad values fall
/// back to the spec's defaults and are reported in `warnings` rather than crashing a service.
public struct TelemetryConfiguration: Sendable {
    public static let sdkName = "dlab-telemetry"
    public static let sdkVersion = "0.1.0"
    public static let defaultTracesEndpoint = "http://localhost:4318/v1/traces"

    public var serviceName: String
    /// The resource every exported span carries: service.name, service.instance.id, telemetry.sdk.*,
    /// then OTEL_RESOURCE_ATTRIBUTES.
    public var resource: OTLP.Resource
    /// Where spans are POSTed (OTLP/HTTP protobuf).
    public var tracesEndpoint: String
    public var sampler: any Sampler
    public var batch: BatchConfiguration
    /// OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT (or OTEL_ATTRIBUTE_COUNT_LIMIT), OTEL_SPAN_EVENT_COUNT_LIMIT,
    /// OTEL_SPAN_LINK_COUNT_LIMIT, OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT, OTEL_LINK_ATTRIBUTE_COUNT_LIMIT.
    public var spanLimits = SpanLimits()
    /// OTEL_SDK_DISABLED=true: spans are neither recorded nor exported (context still propagates).
    public var isDisabled: Bool
    /// OTEL_TRACES_EXPORTER=none: record (for local use) but never export.
    public var isExportDisabled: Bool
    /// Problems found while reading the environment, for the caller to log.
    public var warnings: [String]

    public init(
        serviceName: String,
        resourceAttributes: [OTLP.KeyValue] = [],
        tracesEndpoint: String = TelemetryConfiguration.defaultTracesEndpoint,
        sampler: any Sampler = Samplers.default,
        batch: BatchConfiguration = BatchConfiguration(),
        isDisabled: Bool = false,
        isExportDisabled: Bool = false
    ) {
        self.serviceName = serviceName
        self.resource = Self.makeResource(serviceName: serviceName, extra: resourceAttributes)
        self.tracesEndpoint = tracesEndpoint
        self.sampler = sampler
        self.batch = batch
        self.isDisabled = isDisabled
        self.isExportDisabled = isExportDisabled
        self.warnings = []
    }

    /// Reads the configuration from `env`; pass `TelemetryConfiguration.processEnvironment()` for the
    /// real process environment. The service name is OTEL_SERVICE_NAME, else `service.name` in
    /// OTEL_RESOURCE_ATTRIBUTES, else `defaultServiceName` (the program's own idea), else
    /// "unknown_service".
    public static func fromEnvironment(_ env: [String: String], defaultServiceName: String? = nil) -> TelemetryConfiguration {
        var warnings: [String] = []

        var resourceAttributes: [OTLP.KeyValue] = []
        if let raw = env["OTEL_RESOURCE_ATTRIBUTES"], !raw.withoutSurroundingWhitespace.isEmpty {
            switch parseResourceAttributes(raw) {
            case .success(let pairs): resourceAttributes = pairs.map { OTLP.KeyValue($0.key, .string($0.value)) }
            case .failure(let problem):
                // The spec: on any decoding error, discard the whole variable and report it.
                warnings.append("OTEL_RESOURCE_ATTRIBUTES ignored: \(problem.message)")
            }
        }
        let serviceName =
            nonEmpty(env["OTEL_SERVICE_NAME"])
            ?? resourceAttributes.last(where: { $0.key == "service.name" }).flatMap { if case .string(let s) = $0.value { s } else { nil } }
            ?? nonEmpty(defaultServiceName)
            ?? "unknown_service"
        resourceAttributes.removeAll { $0.key == "service.name" }

        let (sampler, samplerWarnings) = Samplers.fromEnvironment(env)
        warnings += samplerWarnings

        var batch = BatchConfiguration()
        func milliseconds(_ key: String, _ fallback: Duration) -> Duration {
            guard let v = integer(key, env, &warnings) else { return fallback }
            return .milliseconds(v)
        }
        batch.maxQueueSize = integer("OTEL_BSP_MAX_QUEUE_SIZE", env, &warnings, minimum: 1) ?? batch.maxQueueSize
        batch.scheduleDelay = milliseconds("OTEL_BSP_SCHEDULE_DELAY", batch.scheduleDelay)
        batch.maxExportBatchSize = integer("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", env, &warnings, minimum: 1) ?? batch.maxExportBatchSize
        batch.exportTimeout = milliseconds("OTEL_BSP_EXPORT_TIMEOUT", batch.exportTimeout)
        if batch.maxExportBatchSize > batch.maxQueueSize {
            warnings.append(
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE (\(batch.maxExportBatchSize)) exceeds the queue size; using \(batch.maxQueueSize)")
            batch.maxExportBatchSize = batch.maxQueueSize
        }

        var limits = SpanLimits()
        let generalAttributeLimit = integer("OTEL_ATTRIBUTE_COUNT_LIMIT", env, &warnings)
        limits.maxAttributes = integer("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", env, &warnings) ?? generalAttributeLimit ?? limits.maxAttributes
        limits.maxEvents = integer("OTEL_SPAN_EVENT_COUNT_LIMIT", env, &warnings) ?? limits.maxEvents
        limits.maxLinks = integer("OTEL_SPAN_LINK_COUNT_LIMIT", env, &warnings) ?? limits.maxLinks
        limits.maxAttributesPerEvent =
            integer("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", env, &warnings) ?? generalAttributeLimit ?? limits.maxAttributesPerEvent
        limits.maxAttributesPerLink =
            integer("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", env, &warnings) ?? generalAttributeLimit ?? limits.maxAttributesPerLink

        var configuration = TelemetryConfiguration(
            serviceName: serviceName,
            resourceAttributes: resourceAttributes,
            tracesEndpoint: tracesEndpoint(env),
            sampler: sampler,
            batch: batch,
            isDisabled: env["OTEL_SDK_DISABLED"]?.withoutSurroundingWhitespace.lowercased() == "true",
            isExportDisabled: env["OTEL_TRACES_EXPORTER"]?.withoutSurroundingWhitespace.lowercased() == "none"
        )
        configuration.spanLimits = limits
        configuration.warnings = warnings
        return configuration
    }

    /// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as given; OTEL_EXPORTER_OTLP_ENDPOINT is a base URL
    /// to which `/v1/traces` is appended (without doubling a trailing slash).
    static func tracesEndpoint(_ env: [String: String]) -> String {
        if let specific = nonEmpty(env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]) { return specific }
        if var base = nonEmpty(env["OTEL_EXPORTER_OTLP_ENDPOINT"]) {
            while base.hasSuffix("/") { base.removeLast() }
            return base + "/v1/traces"
        }
        return defaultTracesEndpoint
    }

    static func makeResource(serviceName: String, extra: [OTLP.KeyValue]) -> OTLP.Resource {
        var attributes: [OTLP.KeyValue] = [
            .init("service.name", .string(serviceName)),
            .init("telemetry.sdk.name", .string(sdkName)),
            .init("telemetry.sdk.language", .string("swift")),
            .init("telemetry.sdk.version", .string(sdkVersion)),
        ]
        let builtIn = Set(attributes.map(\.key))
        // OTEL_RESOURCE_ATTRIBUTES may set its own service.instance.id; otherwise each process gets one.
        if !extra.contains(where: { $0.key == "service.instance.id" }) {
            attributes.append(.init("service.instance.id", .string(randomUUID())))
        }
        attributes += extra.filter { !builtIn.contains($0.key) }
        return OTLP.Resource(attributes: attributes)
    }

    // MARK: parsing helpers

    struct ParseProblem: Error { var message: String }

    /// `key1=value1,key2=value2`, keys and values percent-encoded (W3C Baggage octets); whitespace
    /// around members is ignored. A later duplicate key wins.
    static func parseResourceAttributes(_ raw: String) -> Result<[(key: String, value: String)], ParseProblem> {
        var result: [(key: String, value: String)] = []
        for member in raw.split(separator: ",", omittingEmptySubsequences: true) {
            let text = String(member).withoutSurroundingWhitespace
            if text.isEmpty { continue }
            guard let equals = text.firstIndex(of: "=") else {
                return .failure(ParseProblem(message: "'\(text)' is not key=value"))
            }
            guard let key = percentDecode(text[..<equals])?.withoutSurroundingWhitespace, !key.isEmpty else {
                return .failure(ParseProblem(message: "'\(text)' has an empty or badly encoded key"))
            }
            guard let value = percentDecode(text[text.index(after: equals)...])?.withoutSurroundingWhitespace else {
                return .failure(ParseProblem(message: "'\(text)' has a badly percent-encoded value"))
            }
            result.removeAll { $0.key == key }
            result.append((key, value))
        }
        return .success(result)
    }

    /// Decodes `%XX` escapes; nil for a truncated escape, non-hex digits, or invalid UTF-8.
    static func percentDecode(_ s: Substring) -> String? {
        var bytes: [UInt8] = []
        var utf8 = s.utf8[...]
        while let c = utf8.popFirst() {
            if c == UInt8(ascii: "%") {
                guard utf8.count >= 2, let v = Hex.decode(Substring(decoding: utf8.prefix(2), as: UTF8.self)) else { return nil }
                bytes.append(UInt8(v))
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func nonEmpty(_ s: String?) -> String? {
        guard let t = s?.withoutSurroundingWhitespace, !t.isEmpty else { return nil }
        return t
    }

    private static func integer(_ key: String, _ env: [String: String], _ warnings: inout [String], minimum: Int = 0) -> Int? {
        guard let raw = nonEmpty(env[key]) else { return nil }
        guard let v = Int(raw), v >= minimum else {
            warnings.append("\(key)=\(raw) is not an integer ≥ \(minimum); using the default")
            return nil
        }
        return v
    }

    /// A random (version 4) UUID, lowercase, without Foundation.
    static func randomUUID() -> String {
        var g = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = bytes.map { b in String(b >> 4, radix: 16) + String(b & 0xF, radix: 16) }.joined()
        let u = Array(hex)
        return "\(String(u[0..<8]))-\(String(u[8..<12]))-\(String(u[12..<16]))-\(String(u[16..<20]))-\(String(u[20..<32]))"
    }

    /// The process environment as a dictionary.
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let pair = String(cString: entry)
            if let equals = pair.firstIndex(of: "=") {
                result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}

/// The batch span processor's limits (OTEL_BSP_*), with the spec's defaults.
public struct BatchConfiguration: Sendable, Equatable {
    /// Spans waiting for export; beyond this, new spans are dropped (and counted).
    public var maxQueueSize: Int = 2048
    /// How long a partial batch may wait before it is exported anyway.
    public var scheduleDelay: Duration = .milliseconds(5000)
    /// Spans per export request; a full batch is exported at once.
    public var maxExportBatchSize: Int = 512
    /// The most one export (all its retries included) may take.
    public var exportTimeout: Duration = .milliseconds(30000)

    public init(
        maxQueueSize: Int = 2048, scheduleDelay: Duration = .milliseconds(5000), maxExportBatchSize: Int = 512,
        exportTimeout: Duration = .milliseconds(30000)
    ) {
        self.maxQueueSize = maxQueueSize
        self.scheduleDelay = scheduleDelay
        self.maxExportBatchSize = maxExportBatchSize
        self.exportTimeout = exportTimeout
    }
}
