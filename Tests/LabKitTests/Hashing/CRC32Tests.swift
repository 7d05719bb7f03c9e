import Foundation
import LabKit
import XCTest

final class CRC32Tests: XCTestCase {
    func testTheStandardCheckValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([UInt8]()), 0)
    }

    /// Slices, `Data` and non-contiguous sequences give the same checksum as the array they copy.
    func testEveryByteContainerAgrees() {
        let bytes = Array("The quick brown fox jumps over the lazy dog".utf8)
        XCTAssertEqual(CRC32.checksum(bytes), 0x414F_A339)
        XCTAssertEqual(CRC32.checksum(Data(bytes)), 0x414F_A339)
        XCTAssertEqual(CRC32.checksum(([0] + bytes)[1...]), 0x414F_A339)
        XCTAssertEqual(CRC32.checksum(bytes.lazy.map { $0 }), 0x414F_A339)
    }
}
