import Synchronization

/// Stops requests from waiting for a limiter that is not answering: after SKIP_AFTER_FAILURES failed
/// calls in a row, `shouldSkip()` is true (the request decides locally at once) until a probe gets an
/// answer. The probe runs in the background, at most one at a time and one per PROBE_EVERY_MS, so no
/// request ever pays for finding out whether the limiter is back.
///
/// The short timeout bounds what ONE request pays when the limiter hangs; this bounds how many pay it.
final class LimiterBypass: Sendable {
    let failuresToSkip: Int
    let probeEvery: Duration
    private let probe: @Sendable () async -> Bool
    private let onChange: @Sendable (Bool) -> Void
    private let state = Mutex(State())

    private struct State {
        var failuresInARow = 0
        var skipping = false
        var probing = false
        var lastProbe: ContinuousClock.Instant?
    }

    /// `probe`: true when the limiter answers; `onChange(skipping)` on every change.
    init(
        failuresToSkip: Int, probeEvery: Duration, probe: @escaping @Sendable () async -> Bool,
        onChange: @escaping @Sendable (Bool) -> Void
    ) {
        self.failuresToSkip = failuresToSkip
        self.probeEvery = probeEvery
        self.probe = probe
        self.onChange = onChange
    }

    /// True while the limiter is skipped; starts a background probe when one is due.
    func shouldSkip() -> Bool {
        let now = ContinuousClock.now
        let startProbe: Bool = state.withLock { state in
            guard state.skipping else { return false }
            guard !state.probing, state.lastProbe.map({ $0.duration(to: now) >= probeEvery }) ?? true else { return false }
            state.probing = true
            state.lastProbe = now
            return true
        }
        if startProbe {
            Task {
                let back = await probe()
                let changed = state.withLock { state in
                    state.probing = false
                    guard back, state.skipping else { return false }
                    state.skipping = false
                    state.failuresInARow = 0
                    return true
                }
                if changed { onChange(false) }
            }
        }
        return state.withLock { $0.skipping }
    }

    func recordSuccess() {
        state.withLock { $0.failuresInARow = 0 }
    }

    func recordFailure() {
        guard failuresToSkip > 0 else { return }
        let started = state.withLock { state in
            state.failuresInARow += 1
            guard !state.skipping, state.failuresInARow >= failuresToSkip else { return false }
            state.skipping = true
            state.lastProbe = ContinuousClock.now
            return true
        }
        if started { onChange(true) }
    }
}
