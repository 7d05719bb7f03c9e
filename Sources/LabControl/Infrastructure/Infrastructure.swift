// Infrastructure: real servers for labs and tests.
//
// Each starter runs a real program from the machine's packages in a directory of its own, on a free
// 127.0.0.1 port, waits until it answers, and `stop()` leaves no process behind (children also die
// with labctl through a parent-death signal; see `Sources/CLabSpawn`).
//
// ```swift
// let port = try FreePort.next()                                    // a free 127.0.0.1 port
// let exe  = try ProgramLocator.standard.find("redis-server")       // or MissingProgramError
// let redis = try await RedisServer.start(directory: dir)           // redis.url = redis://127.0.0.1:P
// let pg = try await PostgresServer.start(directory: dir, initSQL: "CREATE TABLE t (id int);")
//                                                                   // pg.url = postgres://lab@127.0.0.1:P/lab
// let prom = try await PrometheusServer.start(directory: dir,
//     scrapeTargets: [PrometheusScrapeJob(name: "backend", targets: ["127.0.0.1:8081"])])
//                                                                   // prom.baseURL = http://127.0.0.1:P
// await prom.stop(); await pg.stop(); await redis.stop()
// ```
//
// `ChildProcess` is the one process mechanism underneath (spawn, signal, reap, stop, run to
// completion); the native runtime uses it for lab services too.
