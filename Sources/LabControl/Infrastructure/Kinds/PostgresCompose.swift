import LabKit

/// `kind: postgres` on the compose path: the official image, with the entry's server parameters on
/// its command line; with `standbys`, each standby is a container that takes a `pg_basebackup` of
/// the primary (creating its replication slot) and streams through a `labsvc proxy` container
/// (`<name>-replication-proxy`), like the native runtime.
enum PostgresCompose {
    static let image = "postgres:15.8"

    static func images(_ item: InfrastructureSpec) -> ComposeImages {
        let user = ComposeImages.postgresUser
        let database = ComposeImages.postgresDatabase
        var images = ComposeImages(
            image: image, port: 5432, urlScheme: "postgres",
            urlUserInfo: "\(user):\(ComposeImages.postgresPassword)", urlPath: "/\(database)",
            healthcheck: "pg_isready -U \(user) -d \(database)",
            environment: [
                "POSTGRES_USER": user, "POSTGRES_PASSWORD": ComposeImages.postgresPassword, "POSTGRES_DB": database,
            ],
            initFile: item.initSQL.map { .init($0, at: "/docker-entrypoint-initdb.d/init.sql") })
        var parameters: [String: String] = [:]
        if case .object(let fields)? = item.settings["settings"] {
            for (key, value) in fields { parameters[key] = PostgresKind.parameterValue(value) }
        }
        let standbys = PostgresKind.standbys(item)
        if standbys > 0 {
            parameters["synchronous_commit"] = parameters["synchronous_commit"] ?? "on"
            if item.settings["synchronous"].flatMap(PostgresKind.parameterValue) == "on" {
                let names = (1...standbys).map { "\"\(PostgresReplicaSet.standbyName($0))\"" }.joined(separator: ", ")
                parameters["synchronous_standby_names"] = "ANY 1 (\(names))"
                // The image's init scripts run before any standby exists: they must not wait for one.
                images.environment["PGOPTIONS"] = "-c synchronous_commit=local"
            }
            // Replication connections from the lab network (the image's pg_hba.conf allows none).
            parameters["hba_file"] = "/tmp/lab_hba.conf"
            images.entrypoint = ["bash", "-c", "printf '\(hba)' > /tmp/lab_hba.conf && exec docker-entrypoint.sh \"$@\"", "--"]
            for index in 1...standbys { images.companions += standby(item, index: index, of: standbys) }
            let host = { (node: String) in "postgres://\(user):\(ComposeImages.postgresPassword)@\(node):5432/\(database)" }
            images.serviceEnvironment = [
                ServiceSpec.urlVariable(for: "\(item.name)-standby"): host("\(item.name)-\(PostgresReplicaSet.standbyName(1))"),
                ServiceSpec.urlVariable(for: "\(item.name)-node").replacingOccurrences(of: "_URL", with: "_URLS"):
                    ([item.name] + (1...standbys).map { "\(item.name)-\(PostgresReplicaSet.standbyName($0))" }).map(host)
                    .joined(separator: ","),
            ]
        }
        let arguments = parameters.keys.sorted().flatMap { ["-c", "\($0)=\(parameters[$0]!)"] }
        if !arguments.isEmpty { images.command = ["postgres"] + arguments }
        return images
    }

    private static let hba = "local all all trust\\nhost all all all trust\\nhost replication all all trust\\n"

    /// The link proxy and the standby behind it.
    private static func standby(_ item: InfrastructureSpec, index: Int, of count: Int) -> [ComposeImages.Companion] {
        let link = PostgresReplicaSet.linkName(item.name, standby: index, of: count)
        let name = PostgresReplicaSet.standbyName(index)
        let linkSuffix = String(ComposeLayout.proxyName(link).dropFirst(item.name.count + 1))
        let user = ComposeImages.postgresUser
        var recovery = "-c hot_standby=on -c wal_retrieve_retry_interval=500ms"
        if let delay = item.settings["replay_delay"].flatMap(PostgresKind.seconds) {
            recovery += " -c recovery_min_apply_delay=\(Int((delay * 1000).rounded()))ms"
        }
        let script = """
            set -e
            until pg_isready -h \(item.name) -U \(user); do sleep 1; done
            if [ ! -s "$PGDATA/PG_VERSION" ]; then
              mkdir -p "$PGDATA" && chown postgres "$PGDATA" && chmod 700 "$PGDATA"
              gosu postgres pg_basebackup -h \(item.name) -U \(user) -D "$PGDATA" -X stream -C -S standby_\(index)
              touch "$PGDATA/standby.signal" && chown postgres "$PGDATA/standby.signal"
            fi
            exec gosu postgres postgres -c synchronous_commit=on \(recovery) -c primary_slot_name=standby_\(index) \\
              -c "primary_conninfo=host=\(ComposeLayout.proxyName(link)) port=5432 user=\(user) application_name=\(name)"
            """
        return [
            .init(
                suffix: linkSuffix, image: nil,
                command: [
                    "proxy", "--name", link, "--listen", "0.0.0.0:5432", "--upstream", "\(item.name):5432",
                    "--admin", "0.0.0.0:\(ComposeLayout.proxyAdminPort)",
                ],
                environment: ["LAB_ADMIN_TOKEN": ComposeEnvironment.adminToken],
                healthcheck: "wget -q -O /dev/null http://127.0.0.1:\(ComposeLayout.proxyAdminPort)/metrics"),
            .init(
                suffix: name, image: image, command: [script], entrypoint: ["bash", "-c"],
                environment: ["PGDATA": "/var/lib/postgresql/data"],
                healthcheck: "pg_isready -U \(user) -d \(ComposeImages.postgresDatabase)", after: [linkSuffix]),
        ]
    }
}
