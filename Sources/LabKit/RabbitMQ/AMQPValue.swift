import CRabbitMQ
import Foundation

/// A value in an AMQP field table: message headers and queue arguments (`x-max-length`, …).
public enum AMQPValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
    case bytes([UInt8])
    case table([String: AMQPValue])
    case array([AMQPValue])
    case void

    public var stringValue: String? {
        switch self {
        case .string(let text): text
        case .bytes(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    public var intValue: Int? {
        switch self {
        case .int(let value): Int(value)
        case .double(let value): Int(exactly: value)
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .string(let text): "\"\(text)\""
        case .int(let value): "\(value)"
        case .bool(let value): "\(value)"
        case .double(let value): "\(value)"
        case .bytes(let bytes): "<\(bytes.count) bytes>"
        case .table(let table): "{" + table.keys.sorted().map { "\($0): \(table[$0]!)" }.joined(separator: ", ") + "}"
        case .array(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .void: "void"
        }
    }
}

extension AMQPValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

// MARK: - to and from rabbitmq-c

/// C memory for one call into rabbitmq-c (names, bodies, tables), freed together afterwards.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit { blocks.forEach { free($0) } }

    func bytes(_ bytes: [UInt8]) -> amqp_bytes_t {
        guard !bytes.isEmpty, let memory = malloc(bytes.count) else { return amqp_bytes_t(len: 0, bytes: nil) }
        blocks.append(memory)
        bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return amqp_bytes_t(len: bytes.count, bytes: memory)
    }

    func bytes(_ text: String) -> amqp_bytes_t { bytes(Array(text.utf8)) }

    /// A NUL-terminated copy (for the few C calls that take `char *`).
    func cString(_ text: String) -> UnsafePointer<CChar> {
        let copy = strdup(text)!
        blocks.append(UnsafeMutableRawPointer(copy))
        return UnsafePointer(copy)
    }

    func table(_ fields: [String: AMQPValue]) -> amqp_table_t {
        guard !fields.isEmpty, let memory = malloc(MemoryLayout<amqp_table_entry_t>.stride * fields.count) else {
            return amqp_table_t(num_entries: 0, entries: nil)
        }
        blocks.append(memory)
        let entries = memory.bindMemory(to: amqp_table_entry_t.self, capacity: fields.count)
        for (index, key) in fields.keys.sorted().enumerated() {
            (entries + index).initialize(to: amqp_table_entry_t(key: bytes(key), value: fieldValue(fields[key]!)))
        }
        return amqp_table_t(num_entries: Int32(fields.count), entries: entries)
    }

    func fieldValue(_ value: AMQPValue) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case .string(let text):
            field.kind = UInt8(ascii: "S")
            field.value.bytes = bytes(text)
        case .int(let number):
            field.kind = UInt8(ascii: "l")
            field.value.i64 = number
        case .bool(let flag):
            field.kind = UInt8(ascii: "t")
            field.value.boolean = flag ? 1 : 0
        case .double(let number):
            field.kind = UInt8(ascii: "d")
            field.value.f64 = number
        case .bytes(let data):
            field.kind = UInt8(ascii: "x")
            field.value.bytes = bytes(data)
        case .table(let nested):
            field.kind = UInt8(ascii: "F")
            field.value.table = table(nested)
        case .array(let values):
            field.kind = UInt8(ascii: "A")
            if !values.isEmpty, let memory = malloc(MemoryLayout<amqp_field_value_t>.stride * values.count) {
                blocks.append(memory)
                let elements = memory.bindMemory(to: amqp_field_value_t.self, capacity: values.count)
                for (index, element) in values.enumerated() { (elements + index).initialize(to: fieldValue(element)) }
                field.value.array = amqp_array_t(num_entries: Int32(values.count), entries: elements)
            }
        case .void:
            field.kind = UInt8(ascii: "V")
        }
        return field
    }
}

extension AMQPValue {
    /// Copies a table out of rabbitmq-c's buffers.
    static func decode(_ table: amqp_table_t) -> [String: AMQPValue] {
        var result: [String: AMQPValue] = [:]
        guard table.num_entries > 0, let entries = table.entries else { return result }
        for index in 0..<Int(table.num_entries) {
            let entry = entries[index]
            result[String(decoding: entry.key.buffer, as: UTF8.self)] = decode(entry.value)
        }
        return result
    }

    static func decode(_ field: amqp_field_value_t) -> AMQPValue {
        switch UnicodeScalar(field.kind) {
        case "t": .bool(field.value.boolean != 0)
        case "b": .int(Int64(field.value.i8))
        case "B": .int(Int64(field.value.u8))
        case "s", "U": .int(Int64(field.value.i16))
        case "u": .int(Int64(field.value.u16))
        case "I": .int(Int64(field.value.i32))
        case "i": .int(Int64(field.value.u32))
        case "l": .int(field.value.i64)
        case "L", "T": .int(Int64(truncatingIfNeeded: field.value.u64))
        case "f": .double(Double(field.value.f32))
        case "d": .double(field.value.f64)
        case "S": .string(String(decoding: field.value.bytes.buffer, as: UTF8.self))
        case "x": .bytes(Array(field.value.bytes.buffer))
        case "F": .table(decode(field.value.table))
        case "A":
            .array(
                (0..<Int(max(0, field.value.array.num_entries))).compactMap { index in
                    field.value.array.entries.map { decode($0[index]) }
                })
        default: .void
        }
    }
}

extension amqp_bytes_t {
    /// The bytes rabbitmq-c points at (valid until its buffers are released: copy them out).
    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: bytes, count: len) }
    var string: String { String(decoding: buffer, as: UTF8.self) }
}
