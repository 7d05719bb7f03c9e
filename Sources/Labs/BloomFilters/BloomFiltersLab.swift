import LabKit

/// Week 22: "is this user name free?" against a million taken names.
///
///     signup  GET  /names/{name}/available → NAME_CHECK=database: SELECT … WHERE name = $1
///                                           NAME_CHECK=bloom: Redis BITFIELD_RO (k bits); the database only on "maybe"
///     signup  POST /users/{name}            → INSERT into users (and, with the filter, BITFIELD SET of its k bits)
enum BloomFiltersLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "signup",
            "GET /names/{name}/available, POST /users/{name}: taken names in PostgreSQL (DATABASE_URL), "
                + "optionally a Bloom filter in Redis (REDIS_URL); NAME_CHECK=database|bloom", build: NameCheckService.build)
    ]

    /// Each role's knobs (its environment variables), checked strictly when the service starts.
    static let knobs: [String: [any LabKnob]] = [
        "signup": NameCheckSettings.knobs + LabPostgres.knobs + LabService.redisKnobs
    ]
}
