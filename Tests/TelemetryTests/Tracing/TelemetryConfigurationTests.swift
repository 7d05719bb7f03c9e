import XCTest

@testable import Telemetry

final class TelemetryConfigurationTests: XCTestCase {
    private func string(_ resource: OTLP.Resource, _ key: String) -> String? {
        guard case .string(let s)? = resource.attributes.first(where: { $0.key == key })?.value else { return nil }
        return s
    }

    func testDefaults() {
        let c = TelemetryConfiguration.fromEnvironment([:])
        XCTAssertEqual(c.serviceName, "unknown_service")
        XCTAssertEqual(c.tracesEndpoint, "http://localhost:4318/v1/traces")
        XCTAssertEqual(
            c.batch,
            BatchConfiguration(
                maxQueueSize: 2048, scheduleDelay: .milliseconds(5000), maxExportBatchSize: 512, exportTimeout: .milliseconds(30000)))
        XCTAssertFalse(c.isDisabled)
        XCTAssertFalse(c.isExportDisabled)
        XCTAssertEqual(string(c.resource, "service.name"), "unknown_service")
        XCTAssertEqual(string(c.resource, "telemetry.sdk.language"), "swift")
        XCTAssertEqual(string(c.resource, "telemetry.sdk.name"), TelemetryConfiguration.sdkName)
        XCTAssertEqual(string(c.resource, "telemetry.sdk.version"), TelemetryConfiguration.sdkVersion)
        let instance = string(c.resource, "service.instance.id") ?? ""
        XCTAssertNotNil(instance.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/), instance)
        XCTAssertNotEqual(instance, string(TelemetryConfiguration.fromEnvironment([:]).resource, "service.instance.id"))
        XCTAssertTrue(c.warnings.isEmpty)
    }

    func testServiceNamePrecedence() {
        XCTAssertEqual(
            TelemetryConfiguration.fromEnvironment(["OTEL_SERVICE_NAME": "orders", "OTEL_RESOURCE_ATTRIBUTES": "service.name=other"])
                .serviceName, "orders")
        let fromAttributes = TelemetryConfiguration.fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "service.name=payments,team=core"])
        XCTAssertEqual(fromAttributes.serviceName, "payments")
        XCTAssertEqual(fromAttributes.resource.attributes.filter { $0.key == "service.name" }.count, 1)
        XCTAssertEqual(string(fromAttributes.resource, "team"), "core")
        XCTAssertEqual(TelemetryConfiguration.fromEnvironment([:], defaultServiceName: "week07-client").serviceName, "week07-client")
        XCTAssertEqual(TelemetryConfiguration.fromEnvironment(["OTEL_SERVICE_NAME": "env"], defaultServiceName: "code").serviceName, "env")
    }

    func testResourceAttributesArePercentDecoded() {
        let c = TelemetryConfiguration.fromEnvironment([
            "OTEL_RESOURCE_ATTRIBUTES": " deployment.environment = lab%20one ,note=a%2Cb%3Dc%25 ,unicode=%C3%BC,service.instance.id=fixed"
        ])
        XCTAssertEqual(string(c.resource, "deployment.environment"), "lab one")
        XCTAssertEqual(string(c.resource, "note"), "a,b=c%")
        XCTAssertEqual(string(c.resource, "unicode"), "ü")
        XCTAssertEqual(string(c.resource, "service.instance.id"), "fixed")
        XCTAssertEqual(c.resource.attributes.filter { $0.key == "service.instance.id" }.count, 1)
    }

    func testMalformedResourceAttributesAreDiscardedWholeWithAWarning() {
        for bad in ["a=1,broken", "a=%zz", "a=%4", "=value", "a=%FF"] {
            let c = TelemetryConfiguration.fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": bad])
            XCTAssertNil(string(c.resource, "a"), bad)
            XCTAssertEqual(c.warnings.count, 1, bad)
        }
    }

    func testEndpoints() {
        XCTAssertEqual(
            TelemetryConfiguration.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]).tracesEndpoint,
            "http://collector:4318/v1/traces")
        XCTAssertEqual(
            TelemetryConfiguration.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"]).tracesEndpoint,
            "http://collector:4318/v1/traces")
        XCTAssertEqual(
            TelemetryConfiguration.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/prefix/"]).tracesEndpoint,
            "http://c:4318/prefix/v1/traces")
        XCTAssertEqual(
            TelemetryConfiguration.fromEnvironment([
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://jaeger:4318/custom/path",
            ]).tracesEndpoint, "http://jaeger:4318/custom/path")
    }

    func testBatchSettingsAndFlags() {
        let c = TelemetryConfiguration.fromEnvironment([
            "OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_SCHEDULE_DELAY": "250",
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "50", "OTEL_BSP_EXPORT_TIMEOUT": "1000",
            "OTEL_SDK_DISABLED": "TRUE", "OTEL_TRACES_EXPORTER": "none",
        ])
        XCTAssertEqual(
            c.batch,
            BatchConfiguration(maxQueueSize: 100, scheduleDelay: .milliseconds(250), maxExportBatchSize: 50, exportTimeout: .seconds(1)))
        XCTAssertTrue(c.isDisabled)
        XCTAssertTrue(c.isExportDisabled)

        let bad = TelemetryConfiguration.fromEnvironment([
            "OTEL_BSP_MAX_QUEUE_SIZE": "lots", "OTEL_BSP_SCHEDULE_DELAY": "-5",
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "4096",
        ])
        XCTAssertEqual(bad.batch.maxQueueSize, 2048)
        XCTAssertEqual(bad.batch.scheduleDelay, .milliseconds(5000))
        XCTAssertEqual(bad.batch.maxExportBatchSize, 2048, "a batch cannot exceed the queue")
        XCTAssertEqual(bad.warnings.count, 3)
    }

    func testSpanLimitsFromEnvironmentReachTheTracer() throws {
        let c = TelemetryConfiguration.fromEnvironment([
            "OTEL_ATTRIBUTE_COUNT_LIMIT": "4", "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "2", "OTEL_SPAN_EVENT_COUNT_LIMIT": "1",
            "OTEL_SPAN_LINK_COUNT_LIMIT": "0", "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT": "3",
        ])
        XCTAssertEqual(c.spanLimits.maxAttributes, 2)
        XCTAssertEqual(c.spanLimits.maxEvents, 1)
        XCTAssertEqual(c.spanLimits.maxLinks, 0)
        XCTAssertEqual(c.spanLimits.maxAttributesPerEvent, 4, "falls back to OTEL_ATTRIBUTE_COUNT_LIMIT")
        XCTAssertEqual(c.spanLimits.maxAttributesPerLink, 3)
        let recorder = InMemorySpanProcessor()
        let tracer = TracingSystem.makeTracer(configuration: c, processor: recorder).tracer
        tracer.withSpan("limited", context: .topLevel) { span in
            span.attributes["a"] = 1
            span.attributes["b"] = 2
            span.attributes["c"] = 3
            span.addEvent("one")
            span.addEvent("two")
        }
        let span = try XCTUnwrap(recorder.finishedSpans.first)
        XCTAssertEqual(span.attributes.count, 2)
        XCTAssertEqual(span.droppedAttributesCount, 1)
        XCTAssertEqual(span.events.count, 1)
        XCTAssertEqual(span.droppedEventsCount, 1)
    }

    func testProcessEnvironmentIsRead() {
        let env = TelemetryConfiguration.processEnvironment()
        XCTAssertNotNil(env["PATH"])
    }
}
