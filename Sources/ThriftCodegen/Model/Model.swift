/// The neutral model: IDL files with every name resolved, every id assigned and every constant
/// typed. It knows nothing about Swift; the `SwiftGenerator` reads it.

/// Names one definition: the file it is in (as loaded) and its IDL name.
public struct DefinitionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var file: String
    public var name: String

    public init(file: String, name: String) {
        self.file = file
        self.name = name
    }

    public static func < (a: DefinitionID, b: DefinitionID) -> Bool { (a.file, a.name) < (b.file, b.name) }
    public var description: String { name }
}

/// A resolved type.
public indirect enum TypeRef: Hashable, Sendable {
    case bool, byte, i16, i32, i64, double, string, binary, uuid
    case list(TypeRef)
    case set(TypeRef)
    case map(TypeRef, TypeRef)
    case typedef(DefinitionID)
    case enumeration(DefinitionID)
    /// A struct, union or exception.
    case structure(DefinitionID)
}

/// A typed constant value (references to other constants are already inlined).
public indirect enum ConstValue: Hashable, Sendable {
    case bool(Bool)
    /// For byte, i16, i32 and i64.
    case int(Int64)
    case double(Double)
    case string(String)
    case binary([UInt8])
    case uuid(high: UInt64, low: UInt64)
    /// A value of an enum (the value may be one the enum does not name).
    case enumValue(DefinitionID, Int32)
    case list([ConstValue])
    case set([ConstValue])
    case map([MapEntry])
    /// A struct or exception: the fields given, in declaration order.
    case structure(DefinitionID, [FieldValue])
    /// A union: its one field.
    case union(DefinitionID, FieldValue)

    public struct MapEntry: Hashable, Sendable {
        public var key: ConstValue
        public var value: ConstValue
    }

    public struct FieldValue: Hashable, Sendable {
        public var name: String
        public var value: ConstValue
    }
}

public struct Field: Hashable, Sendable {
    public var id: Int16
    public var name: String
    public var type: TypeRef
    public var requiredness: Requiredness
    public var defaultValue: ConstValue?
    public var doc: String?
    public var location: SourceLocation
}

public struct StructDefinition: Hashable, Sendable {
    public var id: DefinitionID
    public var kind: StructKind
    public var fields: [Field]
    public var annotations: [Annotation]
    public var doc: String?
    public var location: SourceLocation
}

public struct EnumDefinition: Hashable, Sendable {
    public struct Value: Hashable, Sendable {
        public var name: String
        public var value: Int32
        public var doc: String?
        public var location: SourceLocation
    }

    public var id: DefinitionID
    public var values: [Value]
    public var annotations: [Annotation]
    public var doc: String?
    public var location: SourceLocation
}

public struct TypedefDefinition: Hashable, Sendable {
    public var id: DefinitionID
    public var type: TypeRef
    public var annotations: [Annotation]
    public var doc: String?
    public var location: SourceLocation
}

public struct ConstDefinition: Hashable, Sendable {
    public var id: DefinitionID
    public var type: TypeRef
    public var value: ConstValue
    public var doc: String?
    public var location: SourceLocation
}

public struct Function: Hashable, Sendable {
    public var name: String
    /// nil for `void`.
    public var returnType: TypeRef?
    public var arguments: [Field]
    /// The `throws` clause: fields of exception types.
    public var exceptions: [Field]
    public var isOneway: Bool
    public var doc: String?
    public var location: SourceLocation
}

public struct ServiceDefinition: Hashable, Sendable {
    public var id: DefinitionID
    public var extends: DefinitionID?
    public var functions: [Function]
    public var doc: String?
    public var location: SourceLocation
}

/// One definition of a file, in file order.
public enum DefinitionRef: Hashable, Sendable {
    case typedef(DefinitionID)
    case enumeration(DefinitionID)
    case structure(DefinitionID)
    case constant(DefinitionID)
    case service(DefinitionID)
}

/// One IDL file.
public struct Program: Hashable, Sendable {
    /// The path it was loaded from (normalised); `DefinitionID.file` of its definitions.
    public var path: String
    /// How other files refer to it: the file name without `.thrift`.
    public var includeName: String
    /// `namespace <scope> <name>` by scope (`*` included).
    public var namespaces: [String: String]
    /// Where `namespace swift` is, if present.
    public var swiftNamespaceLocation: SourceLocation?
    /// Paths of the files it includes, in order.
    public var includes: [String]
    public var definitions: [DefinitionRef]
}

/// Everything the generator needs: the files asked for and every file they include.
public struct Model: Sendable {
    /// Paths of the files to generate code for, in the order given.
    public var roots: [String]
    /// Every loaded file by path.
    public var programs: [String: Program]
    public var structs: [DefinitionID: StructDefinition]
    public var enums: [DefinitionID: EnumDefinition]
    public var typedefs: [DefinitionID: TypedefDefinition]
    public var constants: [DefinitionID: ConstDefinition]
    public var services: [DefinitionID: ServiceDefinition]

    /// The type with typedefs looked through (outermost level only).
    public func underlying(_ type: TypeRef) -> TypeRef {
        var t = type
        while case .typedef(let id) = t, let def = typedefs[id] { t = def.type }
        return t
    }
}
