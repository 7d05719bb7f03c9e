/// The text of a new lab's files (see `LabScaffold`).
enum ScaffoldTemplates {
    static func manifest(_ lab: LabScaffold) -> String {
        """
        # Week \(lab.week) — \(lab.slug). Scaffolded by `labctl new`: a small working lesson to replace with yours.
        # Before: every request waits for the slow backend. After: the api remembers answers (MEMO=on).
        week: \(lab.week)
        slug: \(lab.slug)
        title: "\(lab.slug): replace this title with the lesson in one line"
        summary: >-
          The api answers from a slow backend; remembering its answers makes repeated requests fast.
          Replace this with your lab's story in one or two sentences.

        services:
          - role: api
            entry: true
            depends_on: [backend]
          - role: backend
            env: {WORK_MS: 40}          # how long the backend works on each request

        infrastructure:
          - kind: prometheus

        variants:
          before:
            description: every request calls the backend
            services:
              api:
                env: {MEMO: "off"}
          after:
            description: the api remembers the backend's answers
            services:
              api:
                env: {MEMO: "on"}

        scenario:
          requests:
            - name: item
              path: /items/{id}
              keys: {distribution: zipf, s: 1.1, count: 50}
          phases:
            - name: warmup
              duration: 4s
              load: {rate: 20}
            - name: steady
              duration: 10s
              load: {rate: 40}

        dashboard:
          panels:
            - title: api p50 latency
              promql: histogram_quantile(0.5, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="api", http_route="/items/{id}"}[10s])))
              unit: s
            - title: Requests the backend received
              promql: sum(rate(http_server_request_duration_seconds_count{job="backend", http_route="/work/{id}"}[10s]))
              unit: reqps

        measurements:
          - name: p50
            loadgen: p50
            phase: steady
            unit: s
          - name: backend_calls_per_request
            promql: sum(increase(http_server_request_duration_seconds_count{job="backend", http_route="/work/{id}"}[$window])) / sum(increase(http_server_request_duration_seconds_count{job="api", http_route="/items/{id}"}[$window]))
            phase: steady
          - name: error_rate
            loadgen: error_rate
            phase: steady

        expectations:
          - measurement: p50
            check: before >= 0.04
            why: every request waits for the backend's 40 ms
          - measurement: p50
            check: after < before / 4
            why: most requests are answered from memory
          - measurement: backend_calls_per_request
            check: after < before / 2
            why: the backend only sees the first request for each key
          - measurement: error_rate
            check: after <= 0.01

        # How `labctl verify` (and CI) proves the lesson: the comparison at this share of its length.
        test:
          duration_scale: 1

        """
    }

    static func readme(_ lab: LabScaffold) -> String {
        """
        # Week \(lab.week) — \(lab.slug)

        **The story.** Replace this with the production story: what broke, who noticed, what it cost. End
        with the question the lab answers.

        **The lesson.** One or two sentences, with the number that proves it.

        ```mermaid
        flowchart LR
            LG[load generator] --> API[api<br/>GET /items/&#123;id&#125;]
            API --> BE[backend<br/>~40 ms]
            P[Prometheus] -. scrapes /metrics .-> API & BE
        ```

        | variant | what changes |
        |---|---|
        | `before` | every request calls the backend |
        | `after` | the api remembers the backend's answers (`MEMO=on`) |

        The code: `Sources/Labs/\(lab.name)/`.

        ## Knobs

        Each service reads these environment variables (`labsvc knobs week\(String(format: "%02d", lab.week))` lists them); a value
        that is not allowed stops the service at start with one line naming the variable, the value and
        what is allowed.

        <!-- BEGIN GENERATED KNOBS: `labsvc knobs week\(String(format: "%02d", lab.week)) --markdown`; a test fails when this table and the code differ -->
        | variable | service | kind | default | allowed | meaning |
        |---|---|---|---|---|---|
        | `MEMO` | api | flag | `off` | on, off | the api remembers the backend's answers |
        | `WORK_MS` | backend | ms | `40` | 0...60000 | how long the backend works on each request |
        <!-- END GENERATED KNOBS -->

        ## Run it

        ```sh
        make lab WEEK=\(lab.week)                        # compare before/after, then keep the lab up
        .build/debug/labctl verify \(lab.slug)        # what CI checks: the comparison at its test scale
        .build/debug/labctl up \(lab.slug) --variant before
        ```

        ## What to look at

        1. The dashboard panel **api p50 latency**: …
        2. The slowest trace, `labctl traces --slowest 1`: …

        ## Exercises

        1. **Predict, then measure.** …

        ## Before and after

        <!-- results:begin -->
        <!-- results:end -->

        ## Further reading

        - …
        """ + "\n"
    }

    static func labEnum(_ lab: LabScaffold) -> String {
        """
        import LabKit

        /// Week \(lab.week): \(lab.slug).
        ///
        ///     api  GET /items/{id} → backend GET /work/{id}
        ///
        /// `MEMO=on` makes the api remember the backend's answers.
        enum \(lab.name)Lab {
            /// The lab's services; its week, slug and title are in its lab.yaml.
            static let roles: [LabServiceRegistry.Role] = [
                .init("api", "GET /items/{id}: asks backend GET /work/{id} (BACKEND_URL), MEMO knob", build: MemoizingApi.build),
                .init("backend", "GET /work/{id}: answers after WORK_MS of work", build: SlowBackend.build),
            ]

            /// Each role's knobs (its environment variables), checked strictly when the service starts.
            static let knobs: [String: [any LabKnob]] = [
                "api": [MemoizingApi.memoKnob],
                "backend": [SlowBackend.workKnob],
            ]
        }

        """
    }

    static func api(_ lab: LabScaffold) -> String {
        """
        import LabKit
        import Synchronization

        /// KEY IDEA: an answer that does not change is worth remembering. Without the memo every request
        /// waits for the backend; with it only the first request for each key does.
        enum MemoizingApi {
            static let memoKnob = Knob.flag("MEMO", default: false, "the api remembers the backend's answers")

            static func build(_ service: LabService) async throws {
                let memoEnabled = try service.knobs.read(memoKnob)
                let backend = try service.context.peer("backend", timeout: .seconds(5))
                let memo = Mutex<[String: JSONValue]>([:])

                service.router.get("/items/:id") { _, request -> Response in
                    let id = request.parameters.get("id") ?? "0"
                    if memoEnabled, let known = memo.withLock({ $0[id] }) { return .json(known) }
                    let reply = try await backend.get("/work/\\(id)", route: "/work/{id}")
                    guard reply.isSuccess else { return .jsonError("backend answered \\(reply.status)", status: .badGateway) }
                    if memoEnabled { memo.withLock { $0[id] = reply.json } }
                    return .json(reply.json)
                }
            }
        }

        """
    }

    static func backend(_ lab: LabScaffold) -> String {
        """
        import LabKit

        /// The slow dependency: each answer takes WORK_MS of work (a sleep standing in for a database read).
        enum SlowBackend {
            static let workKnob = Knob.milliseconds("WORK_MS", default: 40, in: 0...60_000, "how long the backend works on each request")

            static func build(_ service: LabService) async throws {
                let work = try service.knobs.read(workKnob)
                service.router.get("/work/:id") { _, request -> JSONValue in
                    let id = request.parameters.get("id") ?? "0"
                    try await Task.sleep(for: work)
                    return ["id": .string(id), "value": .number(Double(id.count))]
                }
            }
        }

        """
    }
}
