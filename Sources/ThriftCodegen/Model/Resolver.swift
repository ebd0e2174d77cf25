/// Turns parsed files into the `Model`: resolves names (forward references and included files
/// too), assigns field ids, types constants, and rejects what cannot be compiled.
public struct Resolver {
    /// Loads `paths` (and their includes, searched next to the including file, then in
    /// `includePaths`) and resolves them.
    public static func resolve(paths: [String], includePaths: [String] = [],
                               fileSystem: any IDLFileSystem = DiskFileSystem()) throws(ThriftCodegenError) -> Model {
        var loader = Loader(fileSystem: fileSystem, includePaths: includePaths)
        var roots: [String] = []
        for path in paths {
            let root = try loader.load(root: path)
            if !roots.contains(root) { roots.append(root) }
        }
        var resolver = Resolver(documents: loader.documents, includes: loader.includes)
        return try resolver.run(roots: roots)
    }

    let documents: [(path: String, document: Document)]
    let includes: [String: [String]]
    /// Each file's definitions by name.
    var symbols: [String: [String: DefinitionSyntax]] = [:]
    var model = Model(roots: [], programs: [:], structs: [:], enums: [:], typedefs: [:], constants: [:], services: [:])
    /// Constants being typed, to catch `const A = B; const B = A`.
    var constantsInProgress: Set<DefinitionID> = []
    var typedefsInProgress: Set<DefinitionID> = []
    var structsInProgress: Set<DefinitionID> = []
    var servicesInProgress: Set<DefinitionID> = []

    init(documents: [(path: String, document: Document)], includes: [String: [String]]) {
        self.documents = documents
        self.includes = includes
    }

    mutating func run(roots: [String]) throws(ThriftCodegenError) -> Model {
        model.roots = roots
        for (path, document) in documents {
            var table: [String: DefinitionSyntax] = [:]
            for definition in document.definitions {
                if let previous = table[definition.name] {
                    throw ThriftCodegenError(definition.location,
                                             "'\(definition.name)' is already defined at \(previous.location)")
                }
                table[definition.name] = definition
            }
            symbols[path] = table
            var namespaces: [String: String] = [:]
            var swiftLocation: SourceLocation?
            for ns in document.namespaces {
                namespaces[ns.scope] = ns.name
                if ns.scope == "swift" { swiftLocation = ns.location }
            }
            model.programs[path] = Program(path: path, includeName: Paths.baseName(of: path), namespaces: namespaces,
                                           swiftNamespaceLocation: swiftLocation, includes: includes[path] ?? [],
                                           definitions: [])
        }
        // Enums first: they depend on nothing, and constants anywhere may name their values.
        for (path, document) in documents {
            for case .enum(let name, let values, let annotations, let doc, let location) in document.definitions {
                try resolveEnum(DefinitionID(file: path, name: name), values: values, annotations: annotations, doc: doc,
                                location: location)
            }
        }
        for (path, document) in documents {
            var refs: [DefinitionRef] = []
            for definition in document.definitions {
                let id = DefinitionID(file: path, name: definition.name)
                switch definition {
                case .typedef:
                    try resolveTypedef(id)
                    refs.append(.typedef(id))
                case .enum:
                    refs.append(.enumeration(id))
                case .struct:
                    _ = try structDefinition(id)
                    refs.append(.structure(id))
                case .const:
                    try resolveConstant(id)
                    refs.append(.constant(id))
                case .service:
                    refs.append(.service(id))
                }
            }
            model.programs[path]!.definitions = refs
        }
        // Services last: they check exception types, which must all be known by now.
        for (path, document) in documents {
            for case .service(let name, let extends, let extendsLocation, let functions, _, let doc, let location)
                in document.definitions {
                try resolveService(DefinitionID(file: path, name: name), extends: extends, extendsLocation: extendsLocation,
                                   functions: functions, doc: doc, location: location)
            }
        }
        return model
    }

    // MARK: names

    /// Finds a definition named `name` (`Name` or `include.Name`) as seen from file `path`.
    func lookup(_ name: String, from path: String) -> (DefinitionID, DefinitionSyntax)? {
        if let local = symbols[path]?[name] { return (DefinitionID(file: path, name: name), local) }
        guard let dot = name.firstIndex(of: ".") else { return nil }
        let prefix = String(name[..<dot])
        let rest = String(name[name.index(after: dot)...])
        for included in includes[path] ?? [] where Paths.baseName(of: included) == prefix {
            if let def = symbols[included]?[rest] { return (DefinitionID(file: included, name: rest), def) }
        }
        return nil
    }

    // MARK: types

    mutating func resolveType(_ syntax: TypeSyntax, in path: String) throws(ThriftCodegenError) -> TypeRef {
        switch syntax {
        case .base(let name, _):
            switch name {
            case "bool": return .bool
            case "byte", "i8": return .byte
            case "i16": return .i16
            case "i32": return .i32
            case "i64": return .i64
            case "double": return .double
            case "string": return .string
            case "binary": return .binary
            default: return .uuid
            }
        case .list(let element, _):
            return .list(try resolveType(element, in: path))
        case .set(let element, _):
            return .set(try resolveType(element, in: path))
        case .map(let key, let value, _):
            return .map(try resolveType(key, in: path), try resolveType(value, in: path))
        case .named(let name, let location):
            guard let (id, definition) = lookup(name, from: path) else {
                throw ThriftCodegenError(location, "unknown type '\(name)'")
            }
            switch definition {
            case .typedef:
                try resolveTypedef(id)
                return .typedef(id)
            case .enum: return .enumeration(id)
            case .struct: return .structure(id)
            case .const: throw ThriftCodegenError(location, "'\(name)' is a constant, not a type")
            case .service: throw ThriftCodegenError(location, "'\(name)' is a service, not a type")
            }
        }
    }

    mutating func resolveTypedef(_ id: DefinitionID) throws(ThriftCodegenError) {
        if model.typedefs[id] != nil { return }
        guard case .typedef(let type, _, let annotations, let doc, let location) = symbols[id.file]![id.name]! else { return }
        if typedefsInProgress.contains(id) {
            throw ThriftCodegenError(location, "typedef '\(id.name)' refers to itself")
        }
        typedefsInProgress.insert(id)
        let resolved = try resolveType(type, in: id.file)
        typedefsInProgress.remove(id)
        model.typedefs[id] = TypedefDefinition(id: id, type: resolved, annotations: annotations, doc: doc, location: location)
    }

    // MARK: enums

    mutating func resolveEnum(_ id: DefinitionID, values: [EnumValueSyntax], annotations: [Annotation], doc: String?,
                              location: SourceLocation) throws(ThriftCodegenError) {
        var resolved: [EnumDefinition.Value] = []
        var next: Int64 = 0
        var names: [String: SourceLocation] = [:]
        for value in values {
            if let previous = names[value.name] {
                throw ThriftCodegenError(value.location, "enum value '\(value.name)' is already defined at \(previous)")
            }
            names[value.name] = value.location
            let v = value.value ?? next
            guard let v32 = Int32(exactly: v) else {
                throw ThriftCodegenError(value.location, "enum value '\(value.name)' = \(v) is out of the range of i32")
            }
            resolved.append(.init(name: value.name, value: v32, doc: value.doc, location: value.location))
            next = v + 1
        }
        model.enums[id] = EnumDefinition(id: id, values: resolved, annotations: annotations, doc: doc, location: location)
    }

    // MARK: fields

    mutating func resolveFields(_ fields: [FieldSyntax], in path: String, owner: String,
                                kind: StructKind?) throws(ThriftCodegenError) -> [Field] {
        var result: [Field] = []
        var ids: [Int16: SourceLocation] = [:]
        var names: [String: SourceLocation] = [:]
        var implicitID: Int16 = -1
        for field in fields {
            let id: Int16
            if let explicit = field.id {
                guard explicit >= 1 && explicit <= Int64(Int16.max) else {
                    throw ThriftCodegenError(field.location, "field id \(explicit) of '\(field.name)' is out of range (1...32767)")
                }
                id = Int16(explicit)
            } else {
                // Apache's compiler numbers fields without ids -1, -2, … (and warns); so do we.
                id = implicitID
                implicitID -= 1
            }
            if let previous = ids[id] {
                throw ThriftCodegenError(field.location, "field id \(id) of '\(field.name)' is already used in \(owner) at \(previous)")
            }
            if let previous = names[field.name] {
                throw ThriftCodegenError(field.location, "field '\(field.name)' is already defined in \(owner) at \(previous)")
            }
            ids[id] = field.location
            names[field.name] = field.location
            let type = try resolveType(field.type, in: path)
            var requiredness = field.requiredness
            if kind == .union {
                // Apache's compiler treats union fields as optional (a required one draws a warning).
                requiredness = .optional
            }
            var value: ConstValue?
            if let defaultValue = field.defaultValue, kind != .union {
                value = try typedValue(defaultValue, type: type, in: path)
            }
            result.append(Field(id: id, name: field.name, type: type, requiredness: requiredness, defaultValue: value,
                                doc: field.doc, location: field.location))
        }
        return result
    }

    // MARK: services

    mutating func resolveService(_ id: DefinitionID, extends: String?, extendsLocation: SourceLocation?,
                                 functions: [FunctionSyntax], doc: String?, location: SourceLocation) throws(ThriftCodegenError) {
        if model.services[id] != nil { return }
        if servicesInProgress.contains(id) {
            throw ThriftCodegenError(location, "service '\(id.name)' extends itself")
        }
        servicesInProgress.insert(id)
        defer { servicesInProgress.remove(id) }
        var parent: DefinitionID?
        var inherited: [String: SourceLocation] = [:]
        if let extends {
            guard let (parentID, definition) = lookup(extends, from: id.file) else {
                throw ThriftCodegenError(extendsLocation!, "unknown service '\(extends)'")
            }
            guard case .service(_, let pExtends, let pExtendsLocation, let pFunctions, _, let pDoc, let pLocation) = definition else {
                throw ThriftCodegenError(extendsLocation!, "'\(extends)' is not a service")
            }
            if parentID == id {
                throw ThriftCodegenError(extendsLocation!, "service '\(id.name)' cannot extend itself")
            }
            try resolveService(parentID, extends: pExtends, extendsLocation: pExtendsLocation, functions: pFunctions,
                               doc: pDoc, location: pLocation)
            parent = parentID
            var ancestor: DefinitionID? = parentID
            while let a = ancestor, let service = model.services[a] {
                for f in service.functions where inherited[f.name] == nil { inherited[f.name] = f.location }
                ancestor = service.extends
            }
        }
        var resolved: [Function] = []
        var names: [String: SourceLocation] = [:]
        for function in functions {
            if let previous = names[function.name] {
                throw ThriftCodegenError(function.location, "function '\(function.name)' is already defined at \(previous)")
            }
            if let previous = inherited[function.name] {
                throw ThriftCodegenError(function.location,
                                         "function '\(function.name)' is already defined by an extended service at \(previous)")
            }
            names[function.name] = function.location
            let owner = "the arguments of '\(function.name)'"
            let arguments = try resolveFields(function.arguments, in: id.file, owner: owner, kind: nil)
            let exceptions = try resolveFields(function.exceptions, in: id.file, owner: "the throws clause of '\(function.name)'",
                                               kind: nil)
            for (e, syntax) in zip(exceptions, function.exceptions) {
                guard case .structure(let sid) = model.underlying(e.type), model.structs[sid]?.kind == .exception else {
                    throw ThriftCodegenError(syntax.type.location, "'\(e.name)' in the throws clause must be an exception type")
                }
            }
            let returnType = try function.returnType.map { (t) throws(ThriftCodegenError) in try resolveType(t, in: id.file) }
            if function.isOneway {
                if returnType != nil {
                    throw ThriftCodegenError(function.location, "oneway function '\(function.name)' must return void")
                }
                if !exceptions.isEmpty {
                    throw ThriftCodegenError(function.location, "oneway function '\(function.name)' cannot throw")
                }
            }
            resolved.append(Function(name: function.name, returnType: returnType, arguments: arguments, exceptions: exceptions,
                                     isOneway: function.isOneway, doc: function.doc, location: function.location))
        }
        model.services[id] = ServiceDefinition(id: id, extends: parent, functions: resolved, doc: doc, location: location)
    }

    // MARK: constants

    mutating func resolveConstant(_ id: DefinitionID) throws(ThriftCodegenError) {
        if model.constants[id] != nil { return }
        guard case .const(let typeSyntax, _, let value, let doc, let location) = symbols[id.file]![id.name]! else { return }
        if constantsInProgress.contains(id) {
            throw ThriftCodegenError(location, "constant '\(id.name)' refers to itself")
        }
        constantsInProgress.insert(id)
        let type = try resolveType(typeSyntax, in: id.file)
        let typed = try typedValue(value, type: type, in: id.file)
        constantsInProgress.remove(id)
        model.constants[id] = ConstDefinition(id: id, type: type, value: typed, doc: doc, location: location)
    }

    func describe(_ type: TypeRef) -> String {
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
        case .list(let e): "list<\(describe(e))>"
        case .set(let e): "set<\(describe(e))>"
        case .map(let k, let v): "map<\(describe(k)),\(describe(v))>"
        case .typedef(let id), .enumeration(let id), .structure(let id): id.name
        }
    }

    /// Types a constant for `type`. References to constants and enum values are looked up and
    /// inlined.
    mutating func typedValue(_ syntax: ConstSyntax, type: TypeRef, in path: String) throws(ThriftCodegenError) -> ConstValue {
        let target = model.underlying(type)
        let location = syntax.location
        func mismatch(_ what: String) -> ThriftCodegenError {
            ThriftCodegenError(location, "\(what) is not a valid value of type \(describe(type))")
        }

        if case .identifier(let name, _) = syntax {
            return try reference(name, type: type, in: path, location: location)
        }
        switch target {
        case .bool:
            guard case .integer(let v, _) = syntax, v == 0 || v == 1 else { throw mismatch(describeSyntax(syntax)) }
            return .bool(v == 1)
        case .byte, .i16, .i32, .i64:
            guard case .integer(let v, _) = syntax else { throw mismatch(describeSyntax(syntax)) }
            let fits: Bool = switch target {
            case .byte: Int8(exactly: v) != nil
            case .i16: Int16(exactly: v) != nil
            case .i32: Int32(exactly: v) != nil
            default: true
            }
            guard fits else { throw ThriftCodegenError(location, "\(v) is out of the range of \(describe(target))") }
            return .int(v)
        case .double:
            switch syntax {
            case .integer(let v, _): return .double(Double(v))
            case .double(let v, _): return .double(v)
            default: throw mismatch(describeSyntax(syntax))
            }
        case .string:
            guard case .string(let s, _) = syntax else { throw mismatch(describeSyntax(syntax)) }
            return .string(s)
        case .binary:
            guard case .string(let s, _) = syntax else { throw mismatch(describeSyntax(syntax)) }
            return .binary(Array(s.utf8))
        case .uuid:
            guard case .string(let s, _) = syntax, let (high, low) = Resolver.parseUUID(s) else {
                throw ThriftCodegenError(location, "expected a UUID string (\"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\")")
            }
            return .uuid(high: high, low: low)
        case .enumeration(let id):
            guard case .integer(let v, _) = syntax else { throw mismatch(describeSyntax(syntax)) }
            guard let v32 = Int32(exactly: v), model.enums[id]!.values.contains(where: { $0.value == v32 }) else {
                throw ThriftCodegenError(location, "\(v) is not a value of enum \(id.name)")
            }
            return .enumValue(id, v32)
        case .list(let element), .set(let element):
            guard case .list(let items, _) = syntax else { throw mismatch(describeSyntax(syntax)) }
            var values: [ConstValue] = []
            for item in items { values.append(try typedValue(item, type: element, in: path)) }
            if case .set = target { return .set(values) }
            return .list(values)
        case .map(let keyType, let valueType):
            guard case .map(let entries, _) = syntax else { throw mismatch(describeSyntax(syntax)) }
            var values: [ConstValue.MapEntry] = []
            for entry in entries {
                values.append(.init(key: try typedValue(entry.key, type: keyType, in: path),
                                    value: try typedValue(entry.value, type: valueType, in: path)))
            }
            return .map(values)
        case .structure(let id):
            guard case .map(let entries, _) = syntax else { throw mismatch(describeSyntax(syntax)) }
            guard let definition = try structDefinition(id) else {
                throw ThriftCodegenError(location, "a value of '\(id.name)' cannot be used inside '\(id.name)' itself")
            }
            var given: [String: (ConstValue, SourceLocation)] = [:]
            for entry in entries {
                guard case .string(let fieldName, let keyLocation) = entry.key else {
                    throw ThriftCodegenError(entry.key.location, "a field name in quotes is expected as key of a \(id.name) value")
                }
                guard let field = definition.fields.first(where: { $0.name == fieldName }) else {
                    throw ThriftCodegenError(keyLocation, "\(definition.kind.rawValue) \(id.name) has no field '\(fieldName)'")
                }
                if given[fieldName] != nil {
                    throw ThriftCodegenError(keyLocation, "field '\(fieldName)' is given twice")
                }
                given[fieldName] = (try typedValue(entry.value, type: field.type, in: path), keyLocation)
            }
            if definition.kind == .union {
                guard given.count == 1, let (name, (value, _)) = given.first else {
                    throw ThriftCodegenError(location, "a value of union \(id.name) must set exactly one field")
                }
                return .union(id, .init(name: name, value: value))
            }
            for field in definition.fields where field.requiredness == .required && field.defaultValue == nil && given[field.name] == nil {
                throw ThriftCodegenError(location, "required field '\(field.name)' of \(id.name) is missing")
            }
            return .structure(id, definition.fields.compactMap { f in given[f.name].map { .init(name: f.name, value: $0.0) } })
        case .typedef:
            preconditionFailure("typedefs are looked through")
        }
    }

    /// The struct's resolved definition, resolving it now if it comes later in its file (a
    /// constant may use a struct defined after it). nil while the struct itself is being resolved.
    mutating func structDefinition(_ id: DefinitionID) throws(ThriftCodegenError) -> StructDefinition? {
        if let d = model.structs[id] { return d }
        guard case .struct(let kind, _, let fields, let annotations, let doc, let location) = symbols[id.file]?[id.name],
              !structsInProgress.contains(id) else {
            return nil
        }
        structsInProgress.insert(id)
        let resolved = try resolveFields(fields, in: id.file, owner: "\(kind.rawValue) '\(id.name)'", kind: kind)
        structsInProgress.remove(id)
        if kind == .union && resolved.isEmpty {
            throw ThriftCodegenError(location, "union '\(id.name)' has no fields")
        }
        let d = StructDefinition(id: id, kind: kind, fields: resolved, annotations: annotations, doc: doc, location: location)
        model.structs[id] = d
        return d
    }

    func describeSyntax(_ syntax: ConstSyntax) -> String {
        switch syntax {
        case .integer(let v, _): "\(v)"
        case .double(let v, _): "\(v)"
        case .string(let s, _): "\"\(s)\""
        case .identifier(let n, _): "'\(n)'"
        case .list: "a list"
        case .map: "a map"
        }
    }

    /// `CONST`, `include.CONST`, `Enum.VALUE`, `include.Enum.VALUE`.
    mutating func reference(_ name: String, type: TypeRef, in path: String,
                            location: SourceLocation) throws(ThriftCodegenError) -> ConstValue {
        let target = model.underlying(type)
        if let (id, definition) = lookup(name, from: path), case .const = definition {
            try resolveConstant(id)
            let constant = model.constants[id]!
            return try convert(constant.value, from: constant.type, to: type, location: location)
        }
        // Enum.VALUE, with the enum possibly qualified by an include name.
        if let dot = name.lastIndex(of: ".") {
            let enumName = String(name[..<dot])
            let valueName = String(name[name.index(after: dot)...])
            if let (id, definition) = lookup(enumName, from: path), case .enum = definition, let e = model.enums[id] {
                guard let value = e.values.first(where: { $0.name == valueName }) else {
                    throw ThriftCodegenError(location, "enum \(enumName) has no value '\(valueName)'")
                }
                switch target {
                case .enumeration(let tid) where tid == id:
                    return .enumValue(id, value.value)
                case .byte, .i16, .i32, .i64:
                    return try typedValue(.integer(Int64(value.value), location), type: type, in: path)
                default:
                    throw ThriftCodegenError(location, "'\(name)' is not a valid value of type \(describe(type))")
                }
            }
        }
        throw ThriftCodegenError(location, "unknown constant '\(name)'")
    }

    /// A constant's value used where `to` is expected.
    func convert(_ value: ConstValue, from: TypeRef, to: TypeRef, location: SourceLocation) throws(ThriftCodegenError) -> ConstValue {
        let a = model.underlying(from)
        let b = model.underlying(to)
        if a == b { return value }
        switch (value, b) {
        case (.int(let v), .double): return .double(Double(v))
        case (.int(let v), .byte) where Int8(exactly: v) != nil: return value
        case (.int(let v), .i16) where Int16(exactly: v) != nil: return value
        case (.int(let v), .i32) where Int32(exactly: v) != nil: return value
        case (.int, .i64): return value
        case (.enumValue(_, let v), .i32), (.enumValue(_, let v), .i64): return .int(Int64(v))
        default:
            throw ThriftCodegenError(location, "a constant of type \(describe(from)) cannot be used as \(describe(to))")
        }
    }

    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (optionally in braces).
    static func parseUUID(_ text: String) -> (UInt64, UInt64)? {
        var s = Substring(text)
        if s.first == "{" && s.last == "}" { s = s.dropFirst().dropLast() }
        let groups = s.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return nil }
        let hex = groups.joined()
        guard hex.allSatisfy(\.isHexDigit), let high = UInt64(hex.prefix(16), radix: 16),
              let low = UInt64(hex.suffix(16), radix: 16) else { return nil }
        return (high, low)
    }
}
