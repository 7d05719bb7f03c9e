import XCTest

@testable import LabKit

/// The Bloom filter against a real redis-server: no false negatives, a false-positive rate near the
/// formula, and a locally built bitmap that Redis reads bit for bit like one built with BITFIELD.
final class RedisBloomFilterTests: RedisServerTestCase {
    func testFormulaAndOffsets() {
        let parameters = BloomFilterParameters(bits: 8_000_000, hashes: 6)
        // 8 bits per element, k = 6: (1 - e^-0.75)^6 ≈ 2.16 %.
        XCTAssertEqual(parameters.expectedFalsePositiveRate(afterAdding: 1_000_000), 0.0216, accuracy: 0.0002)
        XCTAssertEqual(parameters.expectedFalsePositiveRate(afterAdding: 0), 0)
        let offsets = parameters.offsets(of: "user42")
        XCTAssertEqual(offsets.count, 6)
        XCTAssertEqual(offsets, parameters.offsets(of: "user42"), "the same element, the same bits")
        XCTAssertTrue(offsets.allSatisfy { (0..<8_000_000).contains($0) })
        XCTAssertNotEqual(offsets, parameters.offsets(of: "user43"))
    }

    func testNoFalseNegativesAndAFalsePositiveRateNearTheFormula() async throws {
        let redis = try makeClient()
        let parameters = BloomFilterParameters(bits: 40_000, hashes: 4)
        let filter = RedisBloomFilter(redis: redis, key: "names", parameters: parameters)
        let added = (0..<5_000).map { "user\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for chunk in stride(from: 0, to: added.count, by: 500) {
                group.addTask { for name in added[chunk..<chunk + 500] { try await filter.add(name) } }
            }
            try await group.waitForAll()
        }
        for name in added.prefix(500) {
            let found = try await filter.mightContain(name)
            XCTAssertTrue(found, "\(name) was added: a Bloom filter has no false negatives")
        }
        let probes = 4_000
        let answers = try await filter.mightContain((0..<probes).map { "free\($0)" }, batchSize: 300)
        XCTAssertEqual(answers.count, probes)
        let falsePositives = answers.filter { $0 }.count
        let one = try await filter.mightContain("free17")
        XCTAssertEqual(one, answers[17], "pipelined and single probes agree")
        let addedAnswers = try await filter.mightContain(Array(added.suffix(300)))
        XCTAssertTrue(addedAnswers.allSatisfy { $0 })
        let expected = parameters.expectedFalsePositiveRate(afterAdding: added.count) // ≈ 2.4 %
        let measured = Double(falsePositives) / Double(probes)
        XCTAssertGreaterThan(measured, expected / 2, "\(falsePositives) of \(probes)")
        XCTAssertLessThan(measured, expected * 2, "\(falsePositives) of \(probes)")
    }

    func testALocallyBuiltBitmapReadsLikeOneBuiltInRedis() async throws {
        let redis = try makeClient()
        let parameters = BloomFilterParameters(bits: 10_003, hashes: 3)
        let names = (0..<300).map { "name-\($0)" }
        let viaCommands = RedisBloomFilter(redis: redis, key: "built-in-redis", parameters: parameters)
        for name in names { try await viaCommands.add(name) }
        let local = RedisBloomFilter(redis: redis, key: "built-here", parameters: parameters)
        try await local.replace(with: parameters.bitmap(of: names))

        let fromRedis = try await redis.getBytes("built-in-redis")
        let fromHere = try await redis.getBytes("built-here")
        XCTAssertEqual(
            fromRedis.map { Array($0) + Array(repeating: 0, count: 1251 - $0.count) }, fromHere, "the same bits, in Redis's bit order")
        for name in names {
            let found = try await local.mightContain(name)
            XCTAssertTrue(found)
        }
        await assertThrowsRedisError(try await local.replace(with: [0, 1])) {
            guard case .invalidArgument = $0 else { return XCTFail("\($0)") }
        }
    }
}
