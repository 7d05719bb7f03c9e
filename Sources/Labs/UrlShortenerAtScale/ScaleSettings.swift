import LabKit

/// Where a redirect's click goes before the visitor gets the 302.
enum ClickPath: String, CaseIterable, Sendable {
    /// A PostgreSQL transaction per click (insert the event, add one to the link's counter, commit),
    /// on the redirect path: the visitor waits for a pool connection and four round trips.
    case syncDatabase = "sync-db"
    /// A message to RabbitMQ, batched with the other redirects of the moment and confirmed by the
    /// broker; the analytics consumer writes it to PostgreSQL later.
    case broker
}

/// The shortener's knobs (`labsvc knobs week50 shortener`).
struct ScaleSettings: Sendable {
    var clicks: ClickPath
    var rateLimit: Int
    var rateWindow: Duration
    var publishBatchMax: Int

    static let clicksKnob = Knob.choice(
        "CLICKS", default: ClickPath.broker,
        "sync-db: each redirect commits its click to PostgreSQL before answering; broker: it publishes the click (batched, confirmed) and the analytics consumer writes it"
    )
    static let rateLimitKnob = Knob.wholeNumber(
        "RATE_LIMIT", default: 20, in: 1...100_000, "redirects one client (x-client-id) may make per RATE_WINDOW_MS; more get 429")
    static let rateWindowKnob = Knob.milliseconds(
        "RATE_WINDOW_MS", default: 1_000, in: 10...3_600_000, "the sliding window of the per-client rate limit")
    static let publishBatchKnob = Knob.wholeNumber(
        "PUBLISH_BATCH_MAX", default: 500, in: 1...10_000, "broker: clicks published in one batch (one confirm round trip) at most")

    static let knobs: [any LabKnob] = [clicksKnob, rateLimitKnob, rateWindowKnob, publishBatchKnob]

    init(_ knobs: KnobReader) throws {
        clicks = try knobs.read(Self.clicksKnob)
        rateLimit = try knobs.read(Self.rateLimitKnob)
        rateWindow = try knobs.read(Self.rateWindowKnob)
        publishBatchMax = try knobs.read(Self.publishBatchKnob)
    }
}
