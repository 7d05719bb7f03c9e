import Metrics
import Synchronization

/// Detection: which keys take a large share of the router's traffic right now. Every request's key
/// goes into a Space-Saving sketch of HOT_KEY_COUNTERS counters; every HOT_KEY_WINDOW_MS the window
/// closes (a tumbling window: the sketch starts empty again) and a key whose GUARANTEED count is at
/// least HOT_KEY_SHARE of the window's requests is hot. Memory is fixed and no metric carries a key:
///
/// - `hot_key_share`: the top key's share of the last window (a gauge, no key label);
/// - `hot_keys_detected`: how many keys were above the threshold in the last window;
/// - `hot_key_window_requests`: the requests the last window counted.
///
/// The keys themselves are for a human: `GET /admin/top-keys` on the router.
final class HotKeyDetector: Sendable {
    struct Window: Sendable {
        var total: Int
        var top: [HotPartitionSketch.Counter]
        var hot: [String]
    }

    let threshold: Double
    let minimumRequests: Int
    private let counters: Int
    private let current: Mutex<HotPartitionSketch>
    private let last = Mutex(Window(total: 0, top: [], hot: []))
    private let share = Gauge(label: "hot_key_share")
    private let detected = Gauge(label: "hot_keys_detected")
    private let windowRequests = Gauge(label: "hot_key_window_requests")

    init(counters: Int, threshold: Double, minimumRequests: Int) {
        self.counters = counters
        self.threshold = threshold
        self.minimumRequests = minimumRequests
        current = Mutex(HotPartitionSketch(capacity: counters))
        share.record(0)
        detected.record(0)
        windowRequests.record(0)
        Gauge(label: "hot_key_sketch_counters").record(counters)
    }

    /// Counts one request for `key` (the logical key the client asked for, never a salted copy).
    func record(_ key: String) { current.withLock { $0.record(key) } }

    /// Closes the window: returns it, with its hot keys, and starts an empty one.
    @discardableResult
    func closeWindow() -> Window {
        let sketch = current.withLock { sketch in
            defer { sketch = HotPartitionSketch(capacity: counters) }
            return sketch
        }
        let top = sketch.top(10)
        let total = sketch.total
        let hot =
            total < minimumRequests ? [] : top.filter { Double($0.guaranteed) >= threshold * Double(total) }.map(\.key)
        let window = Window(total: total, top: top, hot: hot)
        last.withLock { $0 = window }
        share.record(total == 0 ? 0 : Double(top.first?.guaranteed ?? 0) / Double(total))
        detected.record(hot.count)
        windowRequests.record(total)
        return window
    }

    var lastWindow: Window { last.withLock { $0 } }
}
