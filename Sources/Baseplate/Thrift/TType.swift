/// Thrift's wire types, numbered as the binary protocol numbers them.
public enum TType: UInt8, Sendable {
    case stop = 0
    case void = 1
    case bool = 2
    case byte = 3
    case double = 4
    case i16 = 6
    case i32 = 8
    case i64 = 10
    case string = 11
    case `struct` = 12
    case map = 13
    case set = 14
    case list = 15
    case uuid = 16
}

/// Message types of a Thrift message header.
public enum MessageType: UInt8, Sendable {
    case call = 1
    case reply = 2
    case exception = 3
    case oneway = 4
}

/// The header every Thrift message starts with.
public struct MessageHeader: Sendable, Equatable {
    public var name: String
    public var type: MessageType
    public var sequenceID: Int32

    public init(name: String, type: MessageType, sequenceID: Int32) {
        self.name = name
        self.type = type
        self.sequenceID = sequenceID
    }
}

/// A field header: its type and id.
public struct FieldHeader: Sendable, Equatable {
    public var type: TType
    public var id: Int16

    public init(type: TType, id: Int16) {
        self.type = type
        self.id = id
    }
}

/// A list or set header.
public struct ListHeader: Sendable, Equatable {
    public var elementType: TType
    public var count: Int

    public init(elementType: TType, count: Int) {
        self.elementType = elementType
        self.count = count
    }
}

/// A map header. Key and value types are `.stop` for an empty compact map (the wire omits them).
public struct MapHeader: Sendable, Equatable {
    public var keyType: TType
    public var valueType: TType
    public var count: Int

    public init(keyType: TType, valueType: TType, count: Int) {
        self.keyType = keyType
        self.valueType = valueType
        self.count = count
    }
}
