import XCTest

@testable import LabKit

/// Bitmaps and HyperLogLog against a real redis-server, and what MEMORY USAGE says they cost.
final class RedisProbabilisticTests: RedisServerTestCase {
    func testManyBitsInOneCommand() async throws {
        let redis = try makeClient()
        let previous = try await redis.setbits("filter", offsets: [3, 100, 9_999])
        XCTAssertEqual(previous, [false, false, false])
        let again = try await redis.setbits("filter", offsets: [100, 101])
        XCTAssertEqual(again, [true, false])
        let probes = try await redis.getbits("filter", offsets: [3, 4, 100, 101, 9_999, 1_000_000])
        XCTAssertEqual(probes, [true, false, true, true, true, false], "beyond the end reads as 0")
        // Checked through the single-bit commands.
        let viaGetbit = try await redis.getbit("filter", offset: 9_999)
        XCTAssertTrue(viaGetbit)
        let count = try await redis.bitcount("filter")
        XCTAssertEqual(count, 4)
        let values = try await redis.bitfieldReadOnly("filter", [(.unsigned(8), .bit(96))])
        XCTAssertEqual(values, [0b0000_1100], "bits 100 and 101 are the 5th and 6th of the byte at bit 96")
        let none = try await redis.getbits("filter", offsets: [])
        XCTAssertEqual(none, [])
    }

    func testHyperLogLogMergeMatchesTheUnion() async throws {
        let redis = try makeClient()
        for day in 0..<3 {
            // Day d: visitors d*1000 ..< d*1000 + 2000 — consecutive days overlap by half.
            let visitors = (day * 1000..<day * 1000 + 2000).map { "visitor-\($0)" }
            try await redis.pfadd("uniques:day\(day)", visitors)
            try await redis.sadd("exact:day\(day)", visitors)
        }
        try await redis.pfmerge(into: "uniques:3days", from: ["uniques:day0", "uniques:day1", "uniques:day2"])
        let merged = try await redis.pfcount("uniques:3days")
        let exact = try await redis.sunionstore(into: "exact:3days", from: ["exact:day0", "exact:day1", "exact:day2"])
        XCTAssertEqual(exact, 4000)
        XCTAssertEqual(Double(merged), 4000, accuracy: 200, "0.81 % standard error; 5 % is a wide margin")
        let union = try await redis.pfcount(["uniques:day0", "uniques:day1", "uniques:day2"])
        XCTAssertEqual(union, merged, "PFCOUNT of several keys is the estimate of their merge")
        await assertThrowsRedisError(try await redis.pfcount([])) {
            guard case .invalidArgument = $0 else { return XCTFail("\($0)") }
        }
    }

    func testMemoryUsageOfASetAndAHyperLogLog() async throws {
        let redis = try makeClient()
        let members = (0..<20_000).map { "visitor-\($0)" }
        for start in stride(from: 0, to: members.count, by: 1000) {
            try await redis.sadd("set", Array(members[start..<start + 1000]))
            try await redis.pfadd("hll", Array(members[start..<start + 1000]))
        }
        let setBytes = try await redis.memoryUsage("set", samples: 0)
        let hllBytes = try await redis.memoryUsage("hll")
        let missing = try await redis.memoryUsage("nope")
        XCTAssertNil(missing)
        let set = try XCTUnwrap(setBytes)
        let hll = try XCTUnwrap(hllBytes)
        // 20,000 members: the set holds every one (tens of bytes each); the HyperLogLog is dense, 12 KB
        // of registers whatever the count.
        XCTAssertGreaterThan(set, 20_000 * 30)
        XCTAssertLessThan(hll, 16_000)
        XCTAssertGreaterThan(hll, 12_000)
    }
}
