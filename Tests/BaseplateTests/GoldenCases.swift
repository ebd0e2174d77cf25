import Baseplate
import Testing

/// The call sequences of Tests/Peers/golden.cpp, replayed with our writers and readers. Each case
/// is written once, generic over the protocol, and read back checking every value.
enum GoldenCase: String, CaseIterable {
    case msgCall = "msg_call"
    case msgReply = "msg_reply"
    case msgException = "msg_exception"
    case msgOneway = "msg_oneway"
    case msgNegseq = "msg_negseq"
    case scalars
    case containers
    case nested
    case fieldids

    func write<W: ThriftWriter>(_ w: inout W) {
        switch self {
        case .msgCall:
            w.writeMessageBegin(MessageHeader(name: "is_healthy", type: .call, sequenceID: 1))
            emptyStruct(&w)
        case .msgReply:
            w.writeMessageBegin(MessageHeader(name: "is_healthy", type: .reply, sequenceID: 7))
            w.writeStructBegin(name: "r")
            w.writeFieldBegin(name: "success", type: .bool, id: 0)
            w.writeBool(true)
            w.writeFieldEnd()
            w.writeFieldStop()
            w.writeStructEnd()
        case .msgException:
            w.writeMessageBegin(MessageHeader(name: "foo", type: .exception, sequenceID: 3))
            TApplicationException(.unknownMethod, "Unknown function foo").write(to: &w)
        case .msgOneway:
            w.writeMessageBegin(MessageHeader(name: "notify", type: .oneway, sequenceID: Int32.max))
            emptyStruct(&w)
        case .msgNegseq:
            w.writeMessageBegin(MessageHeader(name: "x", type: .call, sequenceID: -1))
            emptyStruct(&w)
        case .scalars:
            w.writeStructBegin(name: "s")
            field(&w, 1, .bool) { $0.writeBool(true) }
            field(&w, 2, .bool) { $0.writeBool(false) }
            field(&w, 3, .byte) { $0.writeByte(-1) }
            field(&w, 4, .i16) { $0.writeI16(-2) }
            field(&w, 5, .i32) { $0.writeI32(-3) }
            field(&w, 6, .i64) { $0.writeI64(-4) }
            field(&w, 7, .double) { $0.writeDouble(1.5) }
            field(&w, 8, .string) { $0.writeString("héllo") }
            field(&w, 9, .string) { $0.writeBinary([0x00, 0xff, 0x7f]) }
            field(&w, 20, .i32) { $0.writeI32(Int32.max) }
            field(&w, 40, .i64) { $0.writeI64(Int64.min) }
            field(&w, 41, .i16) { $0.writeI16(Int16.max) }
            field(&w, 42, .byte) { $0.writeByte(127) }
            field(&w, 43, .double) { $0.writeDouble(-0.0) }
            field(&w, 44, .i32) { $0.writeI32(Int32.min) }
            field(&w, 45, .i64) { $0.writeI64(Int64.max) }
            field(&w, 46, .string) { $0.writeString("") }
            w.writeFieldStop()
            w.writeStructEnd()
        case .containers:
            w.writeStructBegin(name: "c")
            field(&w, 1, .list) { w in
                w.writeListBegin(ListHeader(elementType: .i32, count: 3))
                for v: Int32 in [1, -1, 300] { w.writeI32(v) }
            }
            field(&w, 2, .set) { w in
                w.writeSetBegin(ListHeader(elementType: .string, count: 2))
                w.writeString("a")
                w.writeString("b")
            }
            field(&w, 3, .map) { w in
                w.writeMapBegin(MapHeader(keyType: .string, valueType: .i64, count: 1))
                w.writeString("k")
                w.writeI64(1_099_511_627_776)
            }
            field(&w, 4, .list) { w in
                w.writeListBegin(ListHeader(elementType: .bool, count: 3))
                for v in [true, false, true] { w.writeBool(v) }
            }
            field(&w, 5, .list) { w in
                w.writeListBegin(ListHeader(elementType: .i16, count: 20))
                for v: Int16 in 0..<20 { w.writeI16(v) }
            }
            field(&w, 6, .list) { $0.writeListBegin(ListHeader(elementType: .i32, count: 0)) }
            field(&w, 7, .map) { $0.writeMapBegin(MapHeader(keyType: .string, valueType: .string, count: 0)) }
            field(&w, 8, .map) { w in
                w.writeMapBegin(MapHeader(keyType: .i32, valueType: .list, count: 1))
                w.writeI32(7)
                w.writeListBegin(ListHeader(elementType: .string, count: 2))
                w.writeString("x")
                w.writeString("yz")
            }
            field(&w, 9, .list) { w in
                w.writeListBegin(ListHeader(elementType: .list, count: 2))
                w.writeListBegin(ListHeader(elementType: .i64, count: 1))
                w.writeI64(1)
                w.writeListBegin(ListHeader(elementType: .i64, count: 2))
                w.writeI64(2)
                w.writeI64(3)
            }
            field(&w, 10, .map) { w in
                w.writeMapBegin(MapHeader(keyType: .bool, valueType: .byte, count: 1))
                w.writeBool(true)
                w.writeByte(5)
            }
            field(&w, 11, .set) { w in
                w.writeSetBegin(ListHeader(elementType: .double, count: 1))
                w.writeDouble(2.5)
            }
            w.writeFieldStop()
            w.writeStructEnd()
        case .nested:
            w.writeStructBegin(name: "n")
            field(&w, 1, .struct) { w in
                w.writeStructBegin(name: "a")
                field(&w, 1, .i32) { $0.writeI32(5) }
                field(&w, 2, .struct) { w in
                    w.writeStructBegin(name: "b")
                    field(&w, 3, .string) { $0.writeString("deep") }
                    w.writeFieldStop()
                    w.writeStructEnd()
                }
                w.writeFieldStop()
                w.writeStructEnd()
            }
            field(&w, 300, .i32) { $0.writeI32(1) }
            field(&w, 2, .i32) { $0.writeI32(2) }
            w.writeFieldStop()
            w.writeStructEnd()
        case .fieldids:
            w.writeStructBegin(name: "f")
            field(&w, 15, .i32) { $0.writeI32(1) }
            field(&w, 16, .i32) { $0.writeI32(2) }
            field(&w, 31, .i32) { $0.writeI32(3) }
            field(&w, 32767, .i32) { $0.writeI32(4) }
            field(&w, 1, .bool) { $0.writeBool(true) }
            field(&w, 17, .bool) { $0.writeBool(false) }
            w.writeFieldStop()
            w.writeStructEnd()
        }
    }

    /// Reads any message or struct generically and describes it in `DescribingWriter`'s
    /// notation, so values read from C++'s bytes can be compared with the values a case wrote.
    static func describe<R: ThriftReader>(_ r: inout R, isMessage: Bool) throws -> String {
        var out = ""
        if isMessage {
            let h = try r.readMessageBegin()
            out += "msg(\(h.name),\(h.type),\(h.sequenceID))"
        }
        try describeValue(&r, .struct, into: &out)
        #expect(r.remaining == 0, "bytes left after the message")
        return out
    }

    static func describeValue<R: ThriftReader>(_ r: inout R, _ type: TType, into out: inout String) throws {
        switch type {
        case .bool: out += "\(try r.readBool());"
        case .byte: out += "b\(try r.readByte());"
        case .i16: out += "h\(try r.readI16());"
        case .i32: out += "i\(try r.readI32());"
        case .i64: out += "l\(try r.readI64());"
        case .double: out += "d\(try r.readDouble().bitPattern);"
        case .string: out += "s\(try r.readBinary());"
        case .uuid: out += "u\(try r.readUUID());"
        case .struct:
            try r.readStructBegin()
            out += "{"
            while true {
                let f = try r.readFieldBegin()
                if f.type == .stop { break }
                out += "\(f.id):"
                try describeValue(&r, f.type, into: &out)
                try r.readFieldEnd()
            }
            try r.readStructEnd()
            out += "}"
        case .list, .set:
            let h = type == .list ? try r.readListBegin() : try r.readSetBegin()
            out += "[\(h.elementType)#\(h.count)"
            for _ in 0..<h.count { try describeValue(&r, h.elementType, into: &out) }
        case .map:
            let h = try r.readMapBegin()
            out += h.count == 0 ? "<#0" : "<\(h.keyType),\(h.valueType)#\(h.count)"
            for _ in 0..<h.count {
                try describeValue(&r, h.keyType, into: &out)
                try describeValue(&r, h.valueType, into: &out)
            }
        case .stop, .void:
            throw ThriftProtocolError(.invalidData, "bad type")
        }
    }

    var isMessage: Bool { rawValue.hasPrefix("msg_") }
}

private func emptyStruct<W: ThriftWriter>(_ w: inout W) {
    w.writeStructBegin(name: "args")
    w.writeFieldStop()
    w.writeStructEnd()
}

private func field<W: ThriftWriter>(_ w: inout W, _ id: Int16, _ type: TType, _ value: (inout W) -> Void) {
    w.writeFieldBegin(name: "f", type: type, id: id)
    value(&w)
    w.writeFieldEnd()
}

/// A writer that records what was written as text (the notation of `GoldenCase.describe`):
/// the values a case means, independent of any encoding.
struct DescribingWriter: ThriftWriter {
    var text = ""

    mutating func writeMessageBegin(_ h: MessageHeader) { text += "msg(\(h.name),\(h.type),\(h.sequenceID))" }
    mutating func writeStructBegin(name: StaticString) { text += "{" }
    mutating func writeStructEnd() { text += "}" }
    mutating func writeFieldBegin(name: StaticString, type: TType, id: Int16) { text += "\(id):" }
    mutating func writeFieldEnd() {}
    mutating func writeFieldStop() {}
    mutating func writeListBegin(_ h: ListHeader) { text += "[\(h.elementType)#\(h.count)" }
    mutating func writeSetBegin(_ h: ListHeader) { writeListBegin(h) }
    mutating func writeMapBegin(_ h: MapHeader) {
        text += h.count == 0 ? "<#0" : "<\(h.keyType),\(h.valueType)#\(h.count)"
    }
    mutating func writeBool(_ v: Bool) { text += "\(v);" }
    mutating func writeByte(_ v: Int8) { text += "b\(v);" }
    mutating func writeI16(_ v: Int16) { text += "h\(v);" }
    mutating func writeI32(_ v: Int32) { text += "i\(v);" }
    mutating func writeI64(_ v: Int64) { text += "l\(v);" }
    mutating func writeDouble(_ v: Double) { text += "d\(v.bitPattern);" }
    mutating func writeString(_ v: String) { text += "s\(Array(v.utf8));" }
    mutating func writeBinary(_ v: some Collection<UInt8>) { text += "s\(Array(v));" }
    mutating func writeUUID(_ v: UUIDBytes) { text += "u\(v);" }
}
