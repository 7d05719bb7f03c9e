import XCTest

@testable import LabControl

final class ServiceEnvironmentTests: XCTestCase {
    func testLayersWiringManifestVariantThenPort() throws {
        let lab = try ManifestParser.parse(
            yaml: """
                week: 3
                slug: wiring
                title: Wiring
                services:
                  - role: api-gateway
                    depends_on: [order-service]
                    env: {PORT: "1", MODE: base, TIMEOUT_MS: 100}
                  - role: order-service
                    replicas: 2
                infrastructure:
                  - kind: redis
                  - kind: redis
                    name: cache
                  - kind: postgres
                variants:
                  before: {}
                  after:
                    env: {MODE: after}
                    services:
                      api-gateway: {env: {TIMEOUT_MS: 50}}
                """)
        let wiring = ServiceEnvironment(
            lab: lab, variant: try XCTUnwrap(lab.variants["after"]),
            serviceURLs: ["order-service": ["http://127.0.0.1:1001", "http://127.0.0.1:1002"], "api-gateway": ["http://127.0.0.1:1000"]],
            infrastructureURLs: [
                "redis": "redis://127.0.0.1:6001", "cache": "redis://127.0.0.1:6002", "postgres": "postgres://lab@127.0.0.1:5001/lab",
            ],
            otlpEndpoint: "http://127.0.0.1:4318", basics: ["PATH": "/usr/bin"])
        let env = wiring.environment(for: lab.services[0], instance: "api-gateway", port: 1000)

        XCTAssertEqual(env["ORDER_SERVICE_URL"], "http://127.0.0.1:1001,http://127.0.0.1:1002")
        XCTAssertEqual(env["REDIS_URL"], "redis://127.0.0.1:6001", "the infrastructure named redis wins")
        XCTAssertEqual(env["CACHE_URL"], "redis://127.0.0.1:6002")
        XCTAssertEqual(env["DATABASE_URL"], "postgres://lab@127.0.0.1:5001/lab")
        XCTAssertEqual(env["OTEL_SERVICE_NAME"], "api-gateway")
        XCTAssertEqual(env["OTEL_EXPORTER_OTLP_ENDPOINT"], "http://127.0.0.1:4318")
        XCTAssertEqual(env["OTEL_BSP_SCHEDULE_DELAY"], "500")
        XCTAssertEqual(
            env["OTEL_RESOURCE_ATTRIBUTES"], "service.namespace=week03,service.instance.id=api-gateway,deployment.environment=after")
        XCTAssertEqual(env["MODE"], "after", "the variant overrides the manifest")
        XCTAssertEqual(env["TIMEOUT_MS"], "50", "the variant's per-service env overrides its lab-wide env")
        XCTAssertEqual(env["PORT"], "1000", "the runtime owns the port")
        XCTAssertEqual(env["HOST"], "127.0.0.1")
        XCTAssertEqual(env["PATH"], "/usr/bin")
        XCTAssertNil(env["API_GATEWAY_URL"], "only dependencies are wired")
    }

    func testInstanceNames() {
        XCTAssertEqual(ServiceInstance.name(role: "backend", replica: 1, replicas: 1), "backend")
        XCTAssertEqual(ServiceInstance.name(role: "backend", replica: 2, replicas: 3), "backend-2")
        XCTAssertEqual(ServiceSpec.urlVariable(for: "order-service"), "ORDER_SERVICE_URL")
    }
}
