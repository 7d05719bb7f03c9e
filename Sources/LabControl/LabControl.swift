// LabControl: the control plane as a library (labctl is a thin CLI over it).
//
//   Infrastructure/  real servers from the machine's packages, each on a free 127.0.0.1 port:
//                    RedisServer, PostgresServer (+ PostgresClusterTemplate), PrometheusServer;
//                    ChildProcess (spawn through CLabSpawn: own process group, parent-death signal),
//                    FreePort, ProgramLocator (MissingProgramError names the Debian package),
//                    ProcessTable (/proc).
//     Kinds/         one file per `kind:` a lab.yaml can name (InfrastructureKind): settings, native
//                    start, compose service, scenario commands; InfrastructureKinds.all lists them.
//   Manifest/        labs/<NN>-<slug>/lab.yaml → LabManifest (ManifestParser; errors name
//                    file:line and the field), ExpectationExpression, ServiceOrder, TestSpec.
//   Catalog/         LabCatalog (find labs, resolve `7`/`week07`/slug), NativeSupport.
//   Runtime/         LabRuntime.up (LaunchPlan → Launch: Prometheus, receiver, infrastructure,
//                    services by level) → RunningLab (endpoints, kill/stop/cont/restart, down),
//                    .lab/state.json + endpoints.json, ControlChannel for `labctl kill` & co.
//   Scenario/        ScenarioRunner (load + timed actions), MeasurementEvaluator, Comparison,
//                    LabComparison (`labctl compare`: every variant, the next one prepared ahead).
//   Verify/          LabVerification (`labctl verify`: each lab's comparison at its test scale, N at once).
//   Generation/      `labctl gen`: Generators for compose files, dashboards, Prometheus targets, the
//                    lab service registry, the README lab table and each lab README's results.
//   Scaffold/        LabScaffold (`labctl new`): a lab that compiles and verifies as written.
//   Compose/         the Docker path: ComposeLayout (names and ports), ComposeTarget, ComposeScenario.
//   Report/          the HTML report of a comparison (SVG charts).
//   Console/         the lab console `labctl up`/`labctl console` serve: pages, live charts through
//                    Prometheus, controls (faults, processes, variants), Jaeger's query API on the store.
//   Traces/, Load/:  the OTLP receiver and trace store; the open/closed-loop load generator.
import LabKit
