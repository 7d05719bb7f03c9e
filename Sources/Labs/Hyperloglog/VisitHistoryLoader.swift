import LabKit

/// Loads DAYS days of visits before the api takes traffic: for each page and day, VISITORS_PER_DAY
/// distinct ids drawn from 1…POPULATION (seeded: every run loads the same visits), sent as SADD or
/// PFADD commands of 1,000 ids each, pipelined on several connections. The true counts are recorded
/// in `VisitorBitsets` as the ids are drawn.
struct VisitHistoryLoader {
    let settings: UniqueVisitorsSettings
    let keys: UniqueVisitorKeys
    let counter: any UniqueCounter
    let redis: RedisClient
    let truth: VisitorBitsets

    func load(progress: SetupProgress) async throws {
        var random = SeededRandomNumberGenerator(seed: settings.seed)
        for page in settings.pages {
            for day in 0..<settings.days {
                var commands: [[RedisArgument]] = []
                var drawn = 0
                var batch: [Int] = []
                batch.reserveCapacity(1000)
                while drawn < settings.visitorsPerDay {
                    let visitor = Int.random(in: 1...settings.population, using: &random)
                    guard truth.insert(page: page, day: day, visitor: visitor) else { continue } // already drawn today
                    drawn += 1
                    batch.append(visitor)
                    if batch.count == 1000 {
                        commands.append(counter.addCommand(keys.day(page, day), visitors: batch))
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { commands.append(counter.addCommand(keys.day(page, day), visitors: batch)) }
                progress.report("page \(page): day \(day + 1) of \(settings.days)")
                try await redis.bulkLoad(commands, batchSize: 4)
            }
        }
    }
}
