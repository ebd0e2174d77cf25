/// Swift spellings of types, zero values and constants.
extension SwiftGenerator {
    /// The Swift type of a Thrift type. Standard-library types are written `Swift.X` so no IDL
    /// type (an exception named `Error`, say) can shadow them.
    func swiftType(_ type: TypeRef) -> String {
        switch type {
        case .bool: "Swift.Bool"
        case .byte: "Swift.Int8"
        case .i16: "Swift.Int16"
        case .i32: "Swift.Int32"
        case .i64: "Swift.Int64"
        case .double: "Swift.Double"
        case .string: "Swift.String"
        case .binary: "[Swift.UInt8]"
        case .uuid: "UUIDBytes"
        case .list(let e): "[\(swiftType(e))]"
        case .set(let e): "Swift.Set<\(swiftType(e))>"
        case .map(let k, let v): "[\(swiftType(k)): \(swiftType(v))]"
        case .typedef(let id), .enumeration(let id), .structure(let id): qualified(id)
        }
    }

    /// The wire type, as a `TType` member (`.i32`).
    func ttype(_ type: TypeRef) -> String {
        switch model.underlying(type) {
        case .bool: ".bool"
        case .byte: ".byte"
        case .i16: ".i16"
        case .i32, .enumeration: ".i32"
        case .i64: ".i64"
        case .double: ".double"
        case .string, .binary: ".string"
        case .uuid: ".uuid"
        case .list: ".list"
        case .set: ".set"
        case .map: ".map"
        case .structure: ".struct"
        case .typedef: preconditionFailure("typedefs are looked through")
        }
    }

    /// How the IDL wrote the type, for messages.
    func idlType(_ type: TypeRef) -> String {
        switch type {
        case .bool: "bool"
        case .byte: "byte"
        case .i16: "i16"
        case .i32: "i32"
        case .i64: "i64"
        case .double: "double"
        case .string: "string"
        case .binary: "binary"
        case .uuid: "uuid"
        case .list(let e): "list<\(idlType(e))>"
        case .set(let e): "set<\(idlType(e))>"
        case .map(let k, let v): "map<\(idlType(k)),\(idlType(v))>"
        case .typedef(let id), .enumeration(let id), .structure(let id): id.name
        }
    }

    /// The value a field of this type has when nothing set it (as C++'s default constructor gives),
    /// or nil for types without one: unions, and structs with a required field that has no default.
    func zeroValue(_ type: TypeRef) -> String? {
        switch model.underlying(type) {
        case .bool: return "false"
        case .byte, .i16, .i32, .i64, .double: return "0"
        case .string: return "\"\""
        case .binary, .list, .set: return "[]"
        case .map: return "[:]"
        case .uuid: return "UUIDBytes(high: 0, low: 0)"
        case .enumeration(let id):
            return enumValueExpression(id, 0)
        case .structure(let id):
            guard let s = model.structs[id], s.kind != .union else { return nil }
            // Every other field's initialiser parameter has a default (see `initializerDefault`).
            if s.fields.contains(where: { $0.requiredness == .required && $0.defaultValue == nil }) { return nil }
            return qualified(id) + "()"
        case .typedef: return nil
        }
    }

    /// Whether the type contains itself (and so has indirect storage).
    func isRecursive(_ type: TypeRef) -> Bool {
        guard case .structure(let id) = model.underlying(type) else { return false }
        return boxed.contains(id) || indirectUnions.contains(id)
    }

    /// Whether the field is a Swift optional: `optional` fields, and fields of default requiredness
    /// without a default value whose type has no zero value or is recursive (a zero value of a
    /// type that contains itself would never end).
    func isOptionalProperty(_ f: Field) -> Bool {
        switch f.requiredness {
        case .optional: true
        case .required: false
        case .default: f.defaultValue == nil && (zeroValue(f.type) == nil || isRecursive(f.type))
        }
    }

    /// The property's Swift type.
    func propertyType(_ f: Field) -> String {
        isOptionalProperty(f) ? optionalType(f.type) : swiftType(f.type)
    }

    func optionalType(_ type: TypeRef) -> String {
        swiftType(type) + "?"
    }

    /// The default of the memberwise initialiser's parameter (nil: the caller must pass one).
    func initializerDefault(_ f: Field) -> String? {
        if let v = f.defaultValue { return constantExpression(v, type: f.type) }
        switch f.requiredness {
        case .optional: return "nil"
        case .required: return nil
        case .default: return isOptionalProperty(f) ? "nil" : zeroValue(f.type)
        }
    }

    /// `N.E.caseName`, or `N.E(rawValue: v)` for a value the enum does not name.
    func enumValueExpression(_ id: DefinitionID, _ value: Int32) -> String {
        let e = model.enums[id]!
        if let name = enumCaseNames(e).first(where: { $0.value == value })?.name {
            return qualified(id) + "." + name
        }
        return qualified(id) + "(rawValue: \(value))"
    }

    /// A Swift expression for a constant, for a context of type `type`.
    func constantExpression(_ value: ConstValue, type: TypeRef) -> String {
        let target = model.underlying(type)
        switch value {
        case .bool(let b): return b ? "true" : "false"
        case .int(let v):
            if case .double = target { return doubleLiteral(Double(v)) }
            return "\(v)"
        case .double(let d): return doubleLiteral(d)
        case .string(let s): return SwiftNames.stringLiteral(s)
        case .binary(let bytes):
            return "Swift.Array(\(SwiftNames.stringLiteral(String(decoding: bytes, as: UTF8.self))).utf8)"
        case .uuid(let high, let low):
            return "UUIDBytes(high: 0x\(hex(high)), low: 0x\(hex(low)))"
        case .enumValue(let id, let v):
            return enumValueExpression(id, v)
        case .list(let items):
            guard case .list(let e) = target else { return "[]" }
            return "[" + items.map { constantExpression($0, type: e) }.joined(separator: ", ") + "]"
        case .set(let items):
            guard case .set(let e) = target else { return "[]" }
            // A set literal with a repeated element traps at run time: repeats are dropped.
            var unique: [ConstValue] = []
            for item in items where !unique.contains(item) { unique.append(item) }
            return "[" + unique.map { constantExpression($0, type: e) }.joined(separator: ", ") + "]"
        case .map(let entries):
            guard case .map(let k, let v) = target else { return "[:]" }
            // Likewise a repeated key: the last entry wins, as when Thrift's C++ assigns them.
            var unique: [ConstValue.MapEntry] = []
            for entry in entries {
                if let i = unique.firstIndex(where: { $0.key == entry.key }) { unique.remove(at: i) }
                unique.append(entry)
            }
            if unique.isEmpty { return "[:]" }
            return "[" + unique.map { "\(constantExpression($0.key, type: k)): \(constantExpression($0.value, type: v))" }
                .joined(separator: ", ") + "]"
        case .structure(let id, let fields):
            let s = model.structs[id]!
            let args = fields.map { fv -> String in
                let f = s.fields.first { $0.name == fv.name }!
                return "\(argumentLabel(f)): \(constantExpression(fv.value, type: f.type))"
            }
            return qualified(id) + "(" + args.joined(separator: ", ") + ")"
        case .union(let id, let fv):
            let s = model.structs[id]!
            let f = s.fields.first { $0.name == fv.name }!
            return qualified(id) + "." + propertyName(f) + "(" + constantExpression(fv.value, type: f.type) + ")"
        }
    }

    func doubleLiteral(_ d: Double) -> String {
        let text = "\(d)"
        return text.contains(".") || text.contains("e") ? text : text + ".0"
    }

    func hex(_ v: UInt64) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    // MARK: member names

    /// Member names a field cannot take because the generated type already has them.
    static let reservedMembers: Set<String> = ["hashValue", "rawValue", "write", "hash", "self", "init", "Type", "Protocol"]

    /// The Swift property (or union case) name of a field, escaped.
    func propertyName(_ f: Field) -> String {
        SwiftNames.escape(rawPropertyName(f))
    }

    /// The field's name as an argument label in a call (keywords need no backticks there, except
    /// these three).
    func argumentLabel(_ f: Field) -> String {
        let name = rawPropertyName(f)
        return ["inout", "var", "let"].contains(name) ? "`\(name)`" : name
    }

    func rawPropertyName(_ f: Field) -> String {
        let name = SwiftNames.lowerCamel(f.name)
        return SwiftGenerator.reservedMembers.contains(name) ? name + "_" : name
    }

    /// Checks that fields keep distinct, usable Swift names.
    func checkFieldNames(_ fields: [Field], owner: String) throws(ThriftCodegenError) {
        var used: [String: Field] = [:]
        for f in fields {
            let name = rawPropertyName(f)
            guard !name.isEmpty else {
                throw ThriftCodegenError(f.location, "field '\(f.name)' has no usable Swift name")
            }
            if let other = used[name] {
                throw ThriftCodegenError(f.location, "fields '\(other.name)' and '\(f.name)' of \(owner) both become '\(name)' in Swift")
            }
            used[name] = f
        }
    }

    /// Enum case names (escaped) with values, and the name of the case that keeps unknown values.
    func enumCaseNames(_ e: EnumDefinition) -> [(name: String, value: Int32, doc: String?)] {
        e.values.map { v in
            var name = SwiftNames.lowerCamel(v.name)
            if SwiftGenerator.reservedMembers.contains(name) { name += "_" }
            return (SwiftNames.escape(name), v.value, v.doc)
        }
    }

    func unknownCaseName(_ e: EnumDefinition) -> String {
        let taken = Set(enumCaseNames(e).map(\.name))
        for candidate in ["unknown", "unrecognized", "unknownValue"] where !taken.contains(candidate) { return candidate }
        return "_unknown"
    }
}
