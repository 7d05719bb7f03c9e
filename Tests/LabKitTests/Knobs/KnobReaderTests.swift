import Logging
import XCTest

@testable import LabKit

/// The strict knob reader: every kind's accepted values, default, range and error message.
final class KnobReaderTests: XCTestCase {
    private func read<V>(_ knob: Knob<V>, _ value: String?) throws(KnobError) -> V {
        try KnobReader(environment: value.map { [knob.spec.name: $0] } ?? [:]).read(knob)
    }

    private func message<V>(_ knob: Knob<V>, _ value: String?) -> String? {
        do {
            _ = try read(knob, value)
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: Flags

    func testFlagTakesOnOffAndTheUsualSpellingsInAnyCase() throws {
        let flag = Knob.flag("BREAKER", default: false, "the breaker")
        for on in ["on", "ON", "true", "True", "1", "yes", "YES", " on "] { XCTAssertEqual(try read(flag, on), true, on) }
        for off in ["off", "Off", "false", "0", "no", "NO"] { XCTAssertEqual(try read(flag, off), false, off) }
        XCTAssertEqual(try read(flag, nil), false, "unset: the default")
        XCTAssertEqual(try read(flag, ""), false, "empty: the default")
        XCTAssertEqual(try read(Knob.flag("INVALIDATE", default: true, "x"), nil), true)
    }

    func testAMisspelledFlagNamesTheVariableTheValueAndWhatIsAllowed() {
        let flag = Knob.flag("BREAKER", default: false, "the breaker")
        XCTAssertEqual(message(flag, "onn"), "BREAKER=onn: expected one of on, off (also true/false, 1/0, yes/no)")
        XCTAssertEqual(message(flag, "enabled"), "BREAKER=enabled: expected one of on, off (also true/false, 1/0, yes/no)")
        XCTAssertEqual(message(flag, "2"), "BREAKER=2: expected one of on, off (also true/false, 1/0, yes/no)")
    }

    // MARK: Milliseconds

    func testMillisecondsAreWholeAndInRange() throws {
        let wait = Knob.milliseconds("CB_WAIT_MS", default: 3_000, in: 1...3_600_000, "wait")
        XCTAssertEqual(try read(wait, nil), .milliseconds(3_000))
        XCTAssertEqual(try read(wait, "1"), .milliseconds(1))
        XCTAssertEqual(try read(wait, "3600000"), .seconds(3_600))
        for bad in ["0", "3600001", "-5", "3s", "2.5", "1e3", "300ms"] {
            XCTAssertEqual(message(wait, bad), "CB_WAIT_MS=\(bad): expected whole milliseconds in 1...3600000", bad)
        }
        let window = Knob.milliseconds("CACHE_RECONNECT_MS", default: 0, in: 0..., "window")
        XCTAssertEqual(try read(window, "0"), .zero)
        XCTAssertEqual(try read(window, "86400000"), .seconds(86_400))
        XCTAssertEqual(message(window, "-1"), "CACHE_RECONNECT_MS=-1: expected whole milliseconds >= 0")
    }

    // MARK: Whole numbers

    func testWholeNumbers() throws {
        let size = Knob.wholeNumber("CB_WINDOW_SIZE", default: 20, in: 1...10_000, "size")
        XCTAssertEqual(try read(size, nil), 20)
        XCTAssertEqual(try read(size, "10000"), 10_000)
        XCTAssertEqual(message(size, "2.5"), "CB_WINDOW_SIZE=2.5: expected a whole number in 1...10000")
        XCTAssertEqual(message(size, "0"), "CB_WINDOW_SIZE=0: expected a whole number in 1...10000")
        XCTAssertEqual(message(size, "twenty"), "CB_WINDOW_SIZE=twenty: expected a whole number in 1...10000")
        let queue = Knob.wholeNumber("DB_QUEUE", default: 8, in: 0..., "queue")
        XCTAssertEqual(try read(queue, "0"), 0)
        XCTAssertEqual(message(queue, "-1"), "DB_QUEUE=-1: expected a whole number >= 0")
        XCTAssertEqual(message(queue, "99999999999999999999"), "DB_QUEUE=99999999999999999999: expected a whole number >= 0")
    }

    // MARK: Numbers

    func testNumbersWithClosedAndHalfOpenRanges() throws {
        let rate = Knob.number("CB_FAILURE_RATE", default: 50, in: 1...100, "rate")
        XCTAssertEqual(try read(rate, nil), 50)
        XCTAssertEqual(try read(rate, "62.5"), 62.5)
        XCTAssertEqual(try read(rate, "100"), 100)
        XCTAssertEqual(message(rate, "150"), "CB_FAILURE_RATE=150: expected a number in 1...100")
        XCTAssertEqual(message(rate, "half"), "CB_FAILURE_RATE=half: expected a number in 1...100")
        XCTAssertEqual(message(rate, "nan"), "CB_FAILURE_RATE=nan: expected a number in 1...100")

        let ratio = Knob.number("RETRY_BUDGET_RATIO", default: 0.1, above: 0, atMost: 10, "ratio")
        XCTAssertEqual(try read(ratio, nil), 0.1)
        XCTAssertEqual(try read(ratio, "10"), 10)
        XCTAssertEqual(try read(ratio, "0.001"), 0.001)
        XCTAssertEqual(message(ratio, "0"), "RETRY_BUDGET_RATIO=0: expected a number > 0 and <= 10")
        XCTAssertEqual(message(ratio, "inf"), "RETRY_BUDGET_RATIO=inf: expected a number > 0 and <= 10")
    }

    // MARK: Choices

    enum Strategy: String, CaseIterable, Sendable { case naive, backoff, budget, perDependency = "per-dependency" }

    func testChoiceOfAnEnumByItsRawValueInAnyCase() throws {
        let strategy = Knob<Strategy>.choice("STRATEGY", default: .naive, "how callers retry")
        XCTAssertEqual(try read(strategy, nil), .naive)
        XCTAssertEqual(try read(strategy, "budget"), .budget)
        XCTAssertEqual(try read(strategy, "Backoff"), .backoff)
        XCTAssertEqual(try read(strategy, "per-dependency"), .perDependency)
        XCTAssertEqual(message(strategy, "fast"), "STRATEGY=fast: expected one of naive, backoff, budget, per-dependency")
        XCTAssertEqual(message(strategy, "perDependency"), "STRATEGY=perDependency: expected one of naive, backoff, budget, per-dependency")
    }

    func testChoiceAmongWordsGivesTheWordAsDeclared() throws {
        let window = Knob.choice("CB_WINDOW_TYPE", among: ["count", "time"], default: "count", "window")
        XCTAssertEqual(try read(window, nil), "count")
        XCTAssertEqual(try read(window, "TIME"), "time")
        XCTAssertEqual(message(window, "sliding"), "CB_WINDOW_TYPE=sliding: expected one of count, time")
    }

    // MARK: URL lists and strings

    func testURLListIsRequiredAndEveryPartMustBeAnHTTPURL() throws {
        let api = Knob.urls("API_URL", "the api replicas")
        XCTAssertEqual(try read(api, "http://127.0.0.1:8081"), ["http://127.0.0.1:8081"])
        XCTAssertEqual(try read(api, "http://127.0.0.1:1, https://api.example:443/x"), ["http://127.0.0.1:1", "https://api.example:443/x"])
        XCTAssertEqual(message(api, nil), "API_URL is not set: expected one or more http:// or https:// URLs, comma-separated")
        XCTAssertEqual(message(api, "  "), "API_URL is not set: expected one or more http:// or https:// URLs, comma-separated")
        for bad in ["127.0.0.1:8081", "http://a:1,,http://b:2", "ftp://a", "http://", "http://a:1,b"] {
            XCTAssertEqual(message(api, bad), "API_URL=\(bad): expected one or more http:// or https:// URLs, comma-separated", bad)
        }
    }

    func testStringTakesAnyTextAndDefaultsWhenEmpty() throws {
        let host = Knob.string("HOST", default: "127.0.0.1", "address")
        XCTAssertEqual(try read(host, "0.0.0.0"), "0.0.0.0")
        XCTAssertEqual(try read(host, ""), "127.0.0.1")
    }

    // MARK: Declarations

    func testSpecsAreWhatTheListingsShow() {
        XCTAssertEqual(
            Knob.flag("FALLBACK", default: true, "m").spec,
            KnobSpec(name: "FALLBACK", kind: .flag, defaultText: "on", allowed: "on, off", meaning: "m"))
        XCTAssertEqual(
            Knob.milliseconds("X_MS", default: 300, in: 1...5_000, "m").spec,
            KnobSpec(name: "X_MS", kind: .milliseconds, defaultText: "300", allowed: "1...5000", meaning: "m"))
        XCTAssertEqual(Knob.wholeNumber("N", default: 0, in: 0..., "m").spec.allowed, ">= 0")
        XCTAssertEqual(Knob.number("R", default: 0.25, in: 0...1, "m").spec.defaultText, "0.25")
        XCTAssertEqual(Knob.number("R", default: 50, in: 1...100, "m").spec.defaultText, "50")
        XCTAssertEqual(Knob.number("R", default: 1, above: 0, atMost: 2.5, "m").spec.allowed, "> 0 and <= 2.5")
        XCTAssertEqual(Knob<Strategy>.choice("S", default: .budget, "m").spec.allowed, "naive, backoff, budget, per-dependency")
        XCTAssertEqual(Knob<Strategy>.choice("S", default: .budget, "m").spec.defaultText, "budget")
        XCTAssertNil(Knob.urls("U_URL", "m").spec.defaultText, "required")
        let levels = Knob<Logger.Level>.choice("LOG_LEVEL", default: .info, "m")
        XCTAssertEqual(levels.spec.allowed, "trace, debug, info, notice, warning, error, critical")
    }

    func testReadingAnUndeclaredKnobFailsWhenTheServiceDeclaresItsKnobs() throws {
        let declared = Knob.flag("BREAKER", default: false, "the breaker")
        let other = Knob.flag("FALLBACK", default: false, "the fallback")
        let reader = KnobReader(environment: ["FALLBACK": "on"], declared: [declared])
        XCTAssertEqual(try reader.read(declared), false)
        XCTAssertThrowsError(try reader.read(other)) { error in
            XCTAssertEqual(
                "\(error)", "FALLBACK is read by this service but is not one of its declared knobs (add it to the lab's knob list)")
        }
        // The same name declared with another default is another knob: the listing would be wrong.
        let redeclared = Knob.flag("BREAKER", default: true, "the breaker")
        XCTAssertThrowsError(try reader.read(redeclared)) { error in
            XCTAssertEqual((error as? KnobError)?.problem, .undeclared)
        }
        // Nothing declared (a service made by hand): anything may be read.
        XCTAssertEqual(try KnobReader(environment: ["FALLBACK": "on"]).read(other), true)
    }

    func testCheckDeclaredFindsABadValueOfAKnobThisRunDoesNotRead() {
        let strategy = Knob<Strategy>.choice("STRATEGY", default: .naive, "s")
        let fastSize = Knob.wholeNumber("FAST_POOL_SIZE", default: 5, in: 1...1_000, "only read when split")
        let required = Knob.urls("API_URL", "only read by some code paths")
        let reader = KnobReader(environment: ["STRATEGY": "naive", "FAST_POOL_SIZE": "five"], declared: [strategy, fastSize, required])
        XCTAssertThrowsError(try reader.checkDeclared()) { error in
            XCTAssertEqual("\(error)", "FAST_POOL_SIZE=five: expected a whole number in 1...1000")
        }
        XCTAssertNoThrow(
            try KnobReader(environment: ["STRATEGY": "budget"], declared: [strategy, fastSize, required]).checkDeclared(),
            "an unset knob is its default, and an unset required one matters only when read")
        XCTAssertNoThrow(try KnobReader(environment: ["FAST_POOL_SIZE": "five"]).checkDeclared(), "nothing declared, nothing checked")
    }

    func testLabServiceRefusesToStartWithABadKnobAndChecksItsOwn() throws {
        _ = TestTelemetry.telemetry
        let breaker = Knob.flag("BREAKER", default: false, "the breaker")
        XCTAssertThrowsError(try LabService(name: "x", environment: ["PORT": "0", "BREAKER": "onn"], knobs: [breaker])) { error in
            XCTAssertEqual("\(error)", "BREAKER=onn: expected one of on, off (also true/false, 1/0, yes/no)")
        }
        XCTAssertThrowsError(try LabService(name: "x", environment: ["PORT": "65536"])) { error in
            XCTAssertEqual("\(error)", "PORT=65536: expected a whole number in 0...65535")
        }
        XCTAssertThrowsError(try LabService(name: "x", environment: ["PORT": "0", "LOG_LEVEL": "verbose"])) { error in
            XCTAssertEqual("\(error)", "LOG_LEVEL=verbose: expected one of trace, debug, info, notice, warning, error, critical")
        }
        let service = try LabService(name: "x", environment: ["PORT": "0", "BREAKER": "yes"], knobs: [breaker])
        XCTAssertEqual(try service.knobs.read(breaker), true)
        XCTAssertEqual(try service.knobs.read(LabService.portKnob), 0, "LabKit's own knobs are always declared")
    }

    func testPeerURLsAreCheckedLikeKnobs() throws {
        let context = try LabContext(
            serviceName: "t", environment: ["API_URL": "http://127.0.0.1:1,http://127.0.0.1:2", "DB_URL": "db:5432"])
        XCTAssertEqual(try context.peers("api").map(\.baseURL), ["http://127.0.0.1:1", "http://127.0.0.1:2"])
        XCTAssertThrowsError(try context.peer("api")) { error in
            XCTAssertEqual("\(error)", "API_URL=http://127.0.0.1:1,http://127.0.0.1:2: expected one http:// or https:// URL")
        }
        XCTAssertThrowsError(try context.peer("db")) { error in
            XCTAssertEqual("\(error)", "DB_URL=db:5432: expected one or more http:// or https:// URLs, comma-separated")
        }
        XCTAssertThrowsError(try context.peer("backend")) { error in XCTAssertEqual("\(error)", "backend: BACKEND_URL is not set") }
    }
}
