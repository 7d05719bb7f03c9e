import Foundation
import LabKit

/// The limiter service's knobs (`labsvc knobs week31 limiter`).
struct LimiterServiceSettings: Sendable {
    /// The limits it starts with, per client (`tenant=30,scraper=45`); `PUT /v1/limits/{client}`
    /// changes them at run time.
    var initialLimits: [String: Int]
    var defaultLimit: Int
    var window: Duration

    static let clientLimitsKnob = Knob.string(
        "CLIENT_LIMITS", default: "tenant=30,scraper=45",
        "the limits it starts with: client=requests per WINDOW_MS, comma-separated (PUT /v1/limits/{client} changes them at run time)")
    static let defaultLimitKnob = Knob.wholeNumber(
        "DEFAULT_LIMIT", default: 10, in: 1...100_000, "the limit of a client CLIENT_LIMITS does not name")
    static let windowKnob = Knob.milliseconds("WINDOW_MS", default: 1_000, in: 100...3_600_000, "the sliding window of every limit")

    static let knobs: [any LabKnob] = [clientLimitsKnob, defaultLimitKnob, windowKnob] + LabService.redisKnobs

    init(_ knobs: KnobReader) throws {
        initialLimits = try Self.parseLimits(try knobs.read(Self.clientLimitsKnob))
        defaultLimit = try knobs.read(Self.defaultLimitKnob)
        window = try knobs.read(Self.windowKnob)
    }

    /// `tenant=30,scraper=45` → ["tenant": 30, "scraper": 45]; anything else is a startup error that
    /// names the bad entry.
    static func parseLimits(_ text: String) throws -> [String: Int] {
        var limits: [String: Int] = [:]
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, ClientLimits.isValidClient(parts[0]), let limit = Int(parts[1]),
                ClientLimits.allowedLimits.contains(limit)
            else {
                throw LabStartupError(
                    "CLIENT_LIMITS: '\(entry)' is not client=limit (a client is 1-64 of a-z 0-9 . _ -, a limit 1...100000)")
            }
            limits[parts[0]] = limit
        }
        guard limits.count <= ClientLimits.maximumClients else {
            throw LabStartupError("CLIENT_LIMITS: \(limits.count) clients, at most \(ClientLimits.maximumClients)")
        }
        return limits
    }
}
