// LabControl: the control plane as a library (labctl is a thin CLI over it).
//
//   Infrastructure/  real servers from the machine's packages, each on a free 127.0.0.1 port:
//                    RedisServer, PostgresServer, PrometheusServer; ChildProcess (spawn through
//                    CLabSpawn: own process group, parent-death signal), FreePort, ProgramLocator
//                    (MissingProgramError names the Debian package), ProcessTable (/proc).
//   Manifest/        labs/<NN>-<slug>/lab.yaml → LabManifest (ManifestParser; errors name
//                    file:line and the field), ExpectationExpression, ServiceOrder.
//   Catalog/         LabCatalog (find labs, resolve `7`/`week07`/slug), NativeSupport.
//   Runtime/         LabRuntime.up → RunningLab (endpoints, kill/stop/cont/restart, down),
//                    .lab/state.json + endpoints.json, ControlChannel for `labctl kill` & co.
//   Generation/      `labctl gen`: a list of Generators (Prometheus targets so far).
//   Traces/, Load/, Scenario/: the OTLP receiver and trace store, the load generator, and the
//                    scenario runner / comparison (see their own files).
import LabKit
