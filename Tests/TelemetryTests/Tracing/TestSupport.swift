import Instrumentation
import Synchronization
import Tracing

@testable import Telemetry

/// HTTP-header-like carrier for extract/inject tests.
struct HeaderExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

struct HeaderInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

extension TelemetryTracer {
    /// The context a server would get from these request headers.
    func extracted(_ headers: [String: String]) -> ServiceContext {
        var context = ServiceContext.topLevel
        extract(headers, into: &context, using: HeaderExtractor())
        return context
    }

    func injected(_ context: ServiceContext) -> [String: String] {
        var headers: [String: String] = [:]
        inject(context, into: &headers, using: HeaderInjector())
        return headers
    }
}

extension OTLP.Span {
    func attribute(_ key: String) -> OTLP.AnyValue? { attributes.first { $0.key == key }?.value }
}
