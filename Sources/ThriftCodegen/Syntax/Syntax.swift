/// The parse tree of one IDL file, names unresolved. The resolver turns it into the `Model`.
public struct Document: Equatable, Sendable {
    public var includes: [Include] = []
    /// `namespace <scope> <name>`, in file order.
    public var namespaces: [Namespace] = []
    public var definitions: [DefinitionSyntax] = []

    public struct Include: Equatable, Sendable {
        public var path: String
        public var location: SourceLocation
    }

    public struct Namespace: Equatable, Sendable {
        public var scope: String
        public var name: String
        public var location: SourceLocation
    }
}

/// `(key = "value", flag)` after a type, field, definition or function. Kept, mostly unused.
public struct Annotation: Hashable, Sendable {
    public var key: String
    public var value: String?
}

/// A type as written.
public indirect enum TypeSyntax: Equatable, Sendable {
    /// `bool`, `byte`, `i8`, `i16`, `i32`, `i64`, `double`, `string`, `binary`, `uuid`.
    case base(String, SourceLocation)
    /// A defined type: `Name` or `include_name.Name`.
    case named(String, SourceLocation)
    case list(TypeSyntax, SourceLocation)
    case set(TypeSyntax, SourceLocation)
    case map(TypeSyntax, TypeSyntax, SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .base(_, let l), .named(_, let l), .list(_, let l), .set(_, let l), .map(_, _, let l): l
        }
    }
}

/// A constant value as written.
public indirect enum ConstSyntax: Equatable, Sendable {
    case integer(Int64, SourceLocation)
    case double(Double, SourceLocation)
    case string(String, SourceLocation)
    /// A reference: `CONST`, `Enum.VALUE`, `include.CONST`, `include.Enum.VALUE`.
    case identifier(String, SourceLocation)
    case list([ConstSyntax], SourceLocation)
    case map([MapEntry], SourceLocation)

    public struct MapEntry: Equatable, Sendable {
        public var key: ConstSyntax
        public var value: ConstSyntax
    }

    public var location: SourceLocation {
        switch self {
        case .integer(_, let l), .double(_, let l), .string(_, let l), .identifier(_, let l), .list(_, let l), .map(_, let l): l
        }
    }
}

public enum Requiredness: String, Equatable, Sendable {
    case required
    case optional
    /// Neither keyword: written always, read if present.
    case `default`
}

public struct FieldSyntax: Equatable, Sendable {
    /// The explicit id, if written.
    public var id: Int64?
    public var requiredness: Requiredness
    public var type: TypeSyntax
    /// `&` after the type (C++'s "reference" marker; accepted, no effect in Swift).
    public var isReference: Bool
    public var name: String
    public var defaultValue: ConstSyntax?
    public var annotations: [Annotation]
    public var doc: String?
    public var location: SourceLocation
}

public struct EnumValueSyntax: Equatable, Sendable {
    public var name: String
    public var value: Int64?
    public var doc: String?
    public var location: SourceLocation
}

public struct FunctionSyntax: Equatable, Sendable {
    public var isOneway: Bool
    /// nil for `void`.
    public var returnType: TypeSyntax?
    public var name: String
    public var arguments: [FieldSyntax]
    public var exceptions: [FieldSyntax]
    public var annotations: [Annotation]
    public var doc: String?
    public var location: SourceLocation
}

public enum StructKind: String, Equatable, Sendable {
    case `struct`
    case union
    case exception
}

/// A top-level definition as written.
public enum DefinitionSyntax: Equatable, Sendable {
    case const(type: TypeSyntax, name: String, value: ConstSyntax, doc: String?, location: SourceLocation)
    case typedef(type: TypeSyntax, name: String, annotations: [Annotation], doc: String?, location: SourceLocation)
    case `enum`(name: String, values: [EnumValueSyntax], annotations: [Annotation], doc: String?, location: SourceLocation)
    case `struct`(kind: StructKind, name: String, fields: [FieldSyntax], annotations: [Annotation], doc: String?, location: SourceLocation)
    case service(name: String, extends: String?, extendsLocation: SourceLocation?, functions: [FunctionSyntax],
                 annotations: [Annotation], doc: String?, location: SourceLocation)

    public var name: String {
        switch self {
        case .const(_, let n, _, _, _), .typedef(_, let n, _, _, _), .enum(let n, _, _, _, _),
             .struct(_, let n, _, _, _, _), .service(let n, _, _, _, _, _, _): n
        }
    }

    public var location: SourceLocation {
        switch self {
        case .const(_, _, _, _, let l), .typedef(_, _, _, _, let l), .enum(_, _, _, _, let l),
             .struct(_, _, _, _, _, let l), .service(_, _, _, _, _, _, let l): l
        }
    }
}
