/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zlib, gzip, PNG and
/// Ethernet. It tells a record that was written whole from one cut short or overwritten: the trace
/// store's segment files and gzip members (LabControl), week 25's write-ahead log.
/// Check value: `CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926`.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The checksum of `bytes`; contiguous storage (arrays, slices, `Data`) is read in place.
    public static func checksum<Bytes: Collection>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        if let crc = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) { return crc }
        return Array(bytes).withUnsafeBytes { checksum($0) }
    }

    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        table.withUnsafeBufferPointer { table in
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
            return crc ^ 0xFFFF_FFFF
        }
    }
}
