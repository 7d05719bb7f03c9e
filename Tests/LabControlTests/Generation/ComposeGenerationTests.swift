import Foundation
import XCTest

@testable import LabControl

/// The generated compose files: the wiring matches the native runtime's, and Debian's
/// docker-compose accepts every lab of the catalog combined with the root compose.yaml.
final class ComposeGenerationTests: XCTestCase {
    /// A lab with replicas, a proxied Redis, PostgreSQL with init SQL and variant knobs.
    static let manifestText = """
        week: 42
        slug: wiring
        title: Wiring
        summary: front → back ×2 → Redis (proxied) + PostgreSQL
        services:
          - role: front
            entry: true
            depends_on: [back]
            env: {FRONT_TIMEOUT_MS: 300}
          - role: back
            replicas: 2
            env: {WORK_MS: 5}
        infrastructure:
          - kind: redis
            proxied: true
          - kind: postgres
            init_sql: init.sql
          - kind: prometheus
        variants:
          before: {description: plain}
          after:
            description: tuned
            env: {MODE: tuned}
            services:
              back:
                env: {WORK_MS: 1}
                config: {limit: 7}
        """

    func makeLab() throws -> (TestDirectory, LabCatalog) {
        let directory = try TestDirectory()
        let lab = directory.url.appendingPathComponent("labs/42-wiring")
        try FileManager.default.createDirectory(at: lab, withIntermediateDirectories: true)
        try Self.manifestText.write(to: lab.appendingPathComponent("lab.yaml"), atomically: true, encoding: .utf8)
        try "create table t (id int);\n".write(to: lab.appendingPathComponent("init.sql"), atomically: true, encoding: .utf8)
        let catalog = try LabCatalog.load(root: directory.url.appendingPathComponent("labs"))
        XCTAssertEqual(catalog.problems.count, 0, "\(catalog.problems)")
        return (directory, catalog)
    }

    func envFile(_ text: String) -> [String: String] {
        var env: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            env[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return env
    }

    func testEnvFilesWireServicesByComposeNameLikeTheNativeRuntime() throws {
        let (directory, catalog) = try makeLab()
        defer { directory.remove() }
        let files = Dictionary(uniqueKeysWithValues: try ComposeGenerator().files(for: catalog).map { ($0.path, $0.contents) })
        XCTAssertEqual(
            files.keys.sorted(),
            [
                "labs/42-wiring/compose.yaml",
                "labs/42-wiring/compose/after/back.env", "labs/42-wiring/compose/after/front.env",
                "labs/42-wiring/compose/before/back.env", "labs/42-wiring/compose/before/front.env",
            ])
        let front = envFile(try XCTUnwrap(files["labs/42-wiring/compose/before/front.env"]))
        XCTAssertEqual(front["BACK_URL"], "http://back-1:8080,http://back-2:8080", "every replica, comma-separated")
        XCTAssertEqual(front["REDIS_URL"], "redis://redis-proxy:6379", "through the fault proxy")
        XCTAssertEqual(front["DATABASE_URL"], "postgres://lab:lab@postgres:5432/lab")
        XCTAssertEqual(front["OTEL_EXPORTER_OTLP_ENDPOINT"], "http://otel-collector:4318")
        XCTAssertEqual(front["OTEL_SERVICE_NAME"], "front")
        XCTAssertEqual(front["LAB_ID"], "week42")
        XCTAssertEqual(front["LAB_VARIANT"], "before")
        XCTAssertEqual(front["FRONT_TIMEOUT_MS"], "300")
        XCTAssertNil(front["PORT"], "per instance, in the compose file")
        XCTAssertNil(front["LAB_INSTANCE"])

        let backAfter = envFile(try XCTUnwrap(files["labs/42-wiring/compose/after/back.env"]))
        XCTAssertEqual(backAfter["WORK_MS"], "1", "the variant's env wins over the manifest's")
        XCTAssertEqual(backAfter["MODE"], "tuned")
        XCTAssertEqual(backAfter["LAB_VARIANT"], "after")
        XCTAssertEqual(backAfter["LAB_CONFIG"], #"{"limit":7}"#, "variant knobs are LAB_CONFIG at start")
        XCTAssertEqual(envFile(try XCTUnwrap(files["labs/42-wiring/compose/before/back.env"]))["WORK_MS"], "5")

        // The same keys as the native runtime's environment, apart from the per-instance ones.
        let lab = catalog.labs[0].manifest
        let native = ServiceEnvironment(
            lab: lab, variant: lab.variants["before"]!, serviceURLs: ["back": ["http://127.0.0.1:1", "http://127.0.0.1:2"]],
            infrastructureURLs: ["redis": "redis://127.0.0.1:3", "postgres": "postgres://lab@127.0.0.1:4/lab"],
            otlpEndpoint: "http://127.0.0.1:4318", basics: [:]
        ).environment(for: lab.service("front")!, instance: "front", port: 5)
        XCTAssertEqual(Set(native.keys).subtracting(ComposeEnvironment.instanceKeys), Set(front.keys))
    }

    func testServicesReplicasProxiesAndScenarioInTheComposeFile() throws {
        let (directory, catalog) = try makeLab()
        defer { directory.remove() }
        let text = ComposeGenerator().render(ComposeLayout(manifest: catalog.labs[0].manifest))
        for expected in [
            "  back-1:\n", "  back-2:\n", "  front:\n", "  redis:\n", "  redis-proxy:\n", "  postgres:\n", "  scenario:\n",
            #"command: ["week42", "back"]"#,
            #"env_file: ["./labs/42-wiring/compose/${LAB_VARIANT:-before}/back.env"]"#,
            #"LAB_INSTANCE: "back-2""#,
            #"OTEL_RESOURCE_ATTRIBUTES: "service.namespace=week42,service.instance.id=back-2,deployment.environment=${LAB_VARIANT:-before}""#,
            #"command: ["proxy", "--name", "redis", "--listen", "0.0.0.0:6379", "--upstream", "redis:6379", "--admin", "0.0.0.0:8474"]"#,
            #""./labs/42-wiring/init.sql:/docker-entrypoint-initdb.d/init.sql:ro""#,
            #"image: "postgres:15.8""#, #"image: "redis:7.0.15""#,
            "      back-1: {condition: service_healthy}\n      back-2: {condition: service_healthy}\n      redis-proxy: {condition: service_healthy}",
            #"command: ["run", "week42", "--target", "compose", "--variant", "${LAB_VARIANT:-before}""#,
            "    profiles: [scenario]\n    restart: \"no\"",
            "      prometheus: {condition: service_healthy}",
            "    init: true\n    restart: on-failure",
        ] {
            XCTAssertTrue(text.contains(expected), "compose.yaml lacks \(expected)\n\(text)")
        }
        // The entry service (only it) is published on the host.
        XCTAssertEqual(text.components(separatedBy: "ports: [").count - 1, 1)
        // The Prometheus targets name the same instances.
        let targets = PrometheusTargetsGenerator().render(catalog.labs[0])
        for target in ["front:8080", "back-1:8080", "back-2:8080", "redis-proxy:8474"] {
            XCTAssertTrue(targets.contains("\"\(target)\""), target)
        }
    }

    func testYAMLQuotingEscapesDollarsUnlessInterpolationIsMeant() {
        XCTAssertEqual(YAMLWriter.quote("a$b\"c\\"), #""a$$b\"c\\""#)
        XCTAssertEqual(YAMLWriter.quote("${X:-1}", interpolate: true), #""${X:-1}""#)
    }

    func testEveryLabOfTheCatalogPassesDockerComposeConfig() throws {
        guard let dockerCompose = GeneratedStack.which("docker-compose") else {
            throw XCTSkip("docker-compose is not installed (Debian package docker-compose): the compose files are not validated")
        }
        let stack = try GeneratedStack()
        defer { stack.remove() }
        // The fixtures too: proxied Redis, PostgreSQL with init SQL, RabbitMQ.
        XCTAssertFalse(stack.catalog.labs.isEmpty)
        for entry in stack.catalog.labs {
            for variant in entry.manifest.variantNames {
                let (status, output) = try stack.run(
                    dockerCompose, ["-f", "compose.yaml", "-f", "labs/\(entry.directoryName)/compose.yaml", "config"],
                    environment: ["LAB_VARIANT": variant])
                XCTAssertEqual(status, 0, "docker-compose config for \(entry.directoryName) (\(variant)):\n\(output)")
                // The config resolves every service instance and the variant's env file.
                for instance in ComposeLayout(manifest: entry.manifest).allInstanceNames {
                    XCTAssertTrue(output.contains("\n  \(instance):\n"), "\(entry.directoryName): service \(instance)")
                }
                XCTAssertTrue(output.contains("LAB_VARIANT: \(variant)"), "\(entry.directoryName): the \(variant) env file is read")
            }
        }
    }

    func testFixtureLabsPassDockerComposeConfig() throws {
        guard let dockerCompose = GeneratedStack.which("docker-compose") else {
            throw XCTSkip("docker-compose is not installed (Debian package docker-compose)")
        }
        let stack = try GeneratedStack(labs: Fixtures.labsDirectory)
        defer { stack.remove() }
        for entry in stack.catalog.labs {
            let (status, output) = try stack.run(
                dockerCompose, ["-f", "compose.yaml", "-f", "labs/\(entry.directoryName)/compose.yaml", "config", "-q"])
            XCTAssertEqual(status, 0, "\(entry.directoryName):\n\(output)")
        }
        // An unknown variant names the missing env file instead of running with no configuration.
        let (status, output) = try stack.run(
            dockerCompose, ["-f", "compose.yaml", "-f", "labs/00-selftest/compose.yaml", "config", "-q"],
            environment: ["LAB_VARIANT": "nope"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("compose/nope/"), output)
    }
}
