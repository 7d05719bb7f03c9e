/// The quorum itself: ask replicas until `needed` of them answered.
///
/// `needed` calls start at once, on the first replicas of `order` (a random order per request, so
/// the load spreads); every call that fails starts one on the next replica not asked yet. It returns
/// as soon as `needed` replicas answered (no call is left running then: one runs per missing answer),
/// or when every replica was asked and fewer answered: the quorum is not reached.
enum QuorumCall {
    struct Outcome<Answer: Sendable>: Sendable {
        /// The replicas that answered, with their answers, in the order they answered.
        var answers: [(replica: Int, answer: Answer)] = []
        /// The replicas asked that failed (an error status, a refused connection, a timeout).
        var failed: [Int] = []
    }

    static func gather<Answer: Sendable>(
        needed: Int, order: [Int], _ call: @escaping @Sendable (Int) async -> Answer?
    ) async -> Outcome<Answer> {
        await withTaskGroup(of: (Int, Answer?).self) { group in
            var outcome = Outcome<Answer>()
            var next = 0
            func ask() {
                let replica = order[next]
                next += 1
                group.addTask { (replica, await call(replica)) }
            }
            while next < min(needed, order.count) { ask() }
            for await (replica, answer) in group {
                if let answer {
                    outcome.answers.append((replica, answer))
                    if outcome.answers.count == needed { break }
                } else {
                    outcome.failed.append(replica)
                    if next < order.count { ask() }
                }
            }
            return outcome
        }
    }
}
