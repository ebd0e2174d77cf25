/// The exception Thrift sends as a message of type EXCEPTION. Codes are numbered as Apache C++'s
/// `TApplicationException` (not as the old Swift runtime, which swapped 8 and 9).
public struct TApplicationException: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let unknown = Code(rawValue: 0)
        public static let unknownMethod = Code(rawValue: 1)
        public static let invalidMessageType = Code(rawValue: 2)
        public static let wrongMethodName = Code(rawValue: 3)
        public static let badSequenceID = Code(rawValue: 4)
        public static let missingResult = Code(rawValue: 5)
        public static let internalError = Code(rawValue: 6)
        public static let protocolError = Code(rawValue: 7)
        public static let invalidTransform = Code(rawValue: 8)
        public static let invalidProtocol = Code(rawValue: 9)
        public static let unsupportedClientType = Code(rawValue: 10)
    }

    public var code: Code
    public var message: String?

    public init(_ code: Code, _ message: String? = nil) {
        self.code = code
        self.message = message
    }

    public var description: String {
        "TApplicationException(\(code.rawValue)): \(message ?? "")"
    }
}

extension TApplicationException: ThriftStruct {
    // {1: string message, 2: i32 type}
    public init<R: ThriftReader>(from reader: inout R) throws(ThriftProtocolError) {
        var code = Code.unknown
        var message: String?
        try reader.readStructBegin()
        while true {
            let field = try reader.readFieldBegin()
            if field.type == .stop { break }
            switch (field.id, field.type) {
            case (1, .string): message = try reader.readString()
            case (2, .i32): code = Code(rawValue: try reader.readI32())
            default: try reader.skip(field.type)
            }
            try reader.readFieldEnd()
        }
        try reader.readStructEnd()
        self.init(code, message)
    }

    public func write<W: ThriftWriter>(to writer: inout W) {
        writer.writeStructBegin(name: "TApplicationException")
        // C++ always writes the message, empty or not; the bytes match it.
        writer.writeFieldBegin(name: "message", type: .string, id: 1)
        writer.writeString(message ?? "")
        writer.writeFieldEnd()
        writer.writeFieldBegin(name: "type", type: .i32, id: 2)
        writer.writeI32(code.rawValue)
        writer.writeFieldEnd()
        writer.writeFieldStop()
        writer.writeStructEnd()
    }
}
