/// A recursive-descent parser for the whole Thrift IDL (as Apache Thrift 0.17+ accepts it, less
/// the long-removed `senum`/`slist` and XSD options). It checks syntax only; names, types and
/// values are checked by the `Resolver`.
public struct Parser {
    var tokens: [Token]
    var index = 0
    /// Nesting of types and constant values being parsed, bounded so that hostile input cannot
    /// overflow the stack.
    var nesting = 0
    static let maxNesting = 100

    public init(tokens: [Token]) {
        self.tokens = tokens
    }

    /// Parses one file's text.
    public static func parse(_ text: String, file: String) throws(ThriftCodegenError) -> Document {
        var parser = Parser(tokens: try Lexer.tokenize(text, file: file))
        return try parser.document()
    }

    static let baseTypes: Set<String> = ["bool", "byte", "i8", "i16", "i32", "i64", "double", "string", "binary", "uuid"]

    /// Words that cannot name a definition, field, function or enum value.
    static let keywords: Set<String> = Set([
        "include", "cpp_include", "namespace", "const", "typedef", "enum", "struct", "union", "exception",
        "service", "extends", "required", "optional", "oneway", "void", "throws", "map", "set", "list",
        "true", "false", "senum", "slist", "cpp_type", "xsd_all", "xsd_optional", "xsd_nillable", "xsd_attrs",
    ]).union(baseTypes)

    // MARK: tokens

    var current: Token { tokens[index] }

    mutating func take() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    func isSymbol(_ c: Character) -> Bool { current.kind == .symbol(c) }
    func isWord(_ w: String) -> Bool { current.kind == .identifier(w) }

    mutating func skipSymbol(_ c: Character) -> Bool {
        if isSymbol(c) { index += 1; return true }
        return false
    }

    mutating func skipWord(_ w: String) -> Bool {
        if isWord(w) { index += 1; return true }
        return false
    }

    mutating func expectSymbol(_ c: Character, _ context: String) throws(ThriftCodegenError) {
        guard skipSymbol(c) else { throw unexpected("'\(c)' \(context)") }
    }

    func unexpected(_ expected: String) -> ThriftCodegenError {
        ThriftCodegenError(current.location, "expected \(expected), found \(current.kind)")
    }

    /// A name for something being defined: an identifier that is no keyword and has no dot.
    mutating func definitionName(_ what: String) throws(ThriftCodegenError) -> (String, SourceLocation) {
        guard case .identifier(let n) = current.kind else { throw unexpected(what) }
        if Parser.keywords.contains(n) {
            throw ThriftCodegenError(current.location, "'\(n)' is a keyword and cannot be used as \(what)")
        }
        if n.contains(".") {
            throw ThriftCodegenError(current.location, "\(what) cannot contain '.': '\(n)'")
        }
        let loc = current.location
        index += 1
        return (n, loc)
    }

    mutating func listSeparator() {
        _ = skipSymbol(",") || skipSymbol(";")
    }

    // MARK: document

    mutating func document() throws(ThriftCodegenError) -> Document {
        var doc = Document()
        var sawDefinition = false
        while current.kind != .end {
            let start = current
            if isWord("include") || isWord("cpp_include") {
                if sawDefinition {
                    throw ThriftCodegenError(start.location, "'\(isWord("include") ? "include" : "cpp_include")' must come before all definitions")
                }
                let isCpp = isWord("cpp_include")
                index += 1
                guard case .string(let path) = current.kind else { throw unexpected("a file name in quotes") }
                index += 1
                if !isCpp { doc.includes.append(.init(path: path, location: start.location)) }
                listSeparator()
            } else if isWord("namespace") {
                if sawDefinition {
                    throw ThriftCodegenError(start.location, "'namespace' must come before all definitions")
                }
                index += 1
                let scope: String
                if skipSymbol("*") {
                    scope = "*"
                } else if case .identifier(let s) = current.kind {
                    scope = s
                    index += 1
                } else {
                    throw unexpected("a language name after 'namespace'")
                }
                let nameToken = current
                let nsName: String
                switch nameToken.kind {
                case .identifier(let n): nsName = n
                case .string(let n): nsName = n
                default: throw unexpected("a namespace name")
                }
                index += 1
                doc.namespaces.append(.init(scope: scope, name: nsName, location: nameToken.location))
                _ = try annotations()
                listSeparator()
            } else {
                doc.definitions.append(try definition())
                sawDefinition = true
            }
        }
        return doc
    }

    mutating func definition() throws(ThriftCodegenError) -> DefinitionSyntax {
        let start = current
        let doc = start.doc
        guard case .identifier(let word) = start.kind else {
            throw unexpected("a definition (const, typedef, enum, struct, union, exception or service)")
        }
        switch word {
        case "const":
            index += 1
            let type = try fieldType()
            let (name, _) = try definitionName("a constant name")
            try expectSymbol("=", "after the constant's name")
            let value = try constValue()
            listSeparator()
            return .const(type: type, name: name, value: value, doc: doc, location: start.location)
        case "typedef":
            index += 1
            let type = try fieldType()
            let (name, _) = try definitionName("a typedef name")
            let annotations = try annotations()
            listSeparator()
            return .typedef(type: type, name: name, annotations: annotations, doc: doc, location: start.location)
        case "enum":
            index += 1
            let (name, _) = try definitionName("an enum name")
            try expectSymbol("{", "to open the enum")
            var values: [EnumValueSyntax] = []
            while !skipSymbol("}") {
                let valueDoc = current.doc
                let (valueName, loc) = try definitionName("an enum value name")
                var value: Int64?
                if skipSymbol("=") {
                    guard case .integer(let v) = current.kind else { throw unexpected("an integer value") }
                    index += 1
                    value = v
                }
                _ = try annotations()
                listSeparator()
                values.append(.init(name: valueName, value: value, doc: valueDoc, location: loc))
            }
            let annotations = try annotations()
            listSeparator()
            return .enum(name: name, values: values, annotations: annotations, doc: doc, location: start.location)
        case "struct", "union", "exception":
            index += 1
            let kind = StructKind(rawValue: word)!
            let (name, _) = try definitionName("a \(word) name")
            _ = skipWord("xsd_all")
            try expectSymbol("{", "to open the \(word)")
            var fields: [FieldSyntax] = []
            while !skipSymbol("}") {
                fields.append(try field())
            }
            let annotations = try annotations()
            listSeparator()
            return .struct(kind: kind, name: name, fields: fields, annotations: annotations, doc: doc, location: start.location)
        case "service":
            index += 1
            let (name, _) = try definitionName("a service name")
            var extends: String?
            var extendsLocation: SourceLocation?
            if skipWord("extends") {
                guard case .identifier(let parent) = current.kind else { throw unexpected("a service name after 'extends'") }
                extends = parent
                extendsLocation = current.location
                index += 1
            }
            try expectSymbol("{", "to open the service")
            var functions: [FunctionSyntax] = []
            while !skipSymbol("}") {
                functions.append(try function())
            }
            let annotations = try annotations()
            listSeparator()
            return .service(name: name, extends: extends, extendsLocation: extendsLocation, functions: functions,
                            annotations: annotations, doc: doc, location: start.location)
        case "senum":
            throw ThriftCodegenError(start.location, "'senum' is not supported (removed from Thrift)")
        case "include", "cpp_include", "namespace":
            throw ThriftCodegenError(start.location, "'\(word)' must come before all definitions")
        default:
            throw unexpected("a definition (const, typedef, enum, struct, union, exception or service)")
        }
    }

    mutating func function() throws(ThriftCodegenError) -> FunctionSyntax {
        let doc = current.doc
        let oneway = skipWord("oneway")
        var returnType: TypeSyntax?
        if !skipWord("void") {
            guard case .identifier = current.kind else { throw unexpected("a return type or 'void'") }
            returnType = try fieldType()
        }
        let (name, nameLocation) = try definitionName("a function name")
        try expectSymbol("(", "to open the argument list")
        var args: [FieldSyntax] = []
        while !skipSymbol(")") {
            args.append(try field())
        }
        var exceptions: [FieldSyntax] = []
        if skipWord("throws") {
            try expectSymbol("(", "after 'throws'")
            while !skipSymbol(")") {
                exceptions.append(try field())
            }
        }
        let annotations = try annotations()
        listSeparator()
        return FunctionSyntax(isOneway: oneway, returnType: returnType, name: name, arguments: args, exceptions: exceptions,
                              annotations: annotations, doc: doc, location: nameLocation)
    }

    mutating func field() throws(ThriftCodegenError) -> FieldSyntax {
        let doc = current.doc
        let start = current.location
        var id: Int64?
        if case .integer(let v) = current.kind {
            index += 1
            try expectSymbol(":", "after the field id")
            id = v
        }
        var requiredness = Requiredness.default
        if skipWord("required") {
            requiredness = .required
        } else if skipWord("optional") {
            requiredness = .optional
        }
        guard case .identifier = current.kind else { throw unexpected("a field type") }
        let type = try fieldType()
        let isReference = skipSymbol("&")
        let (name, _) = try definitionName("a field name")
        var defaultValue: ConstSyntax?
        if skipSymbol("=") {
            defaultValue = try constValue()
        }
        _ = skipWord("xsd_optional")
        _ = skipWord("xsd_nillable")
        if skipWord("xsd_attrs") {
            try expectSymbol("{", "after 'xsd_attrs'")
            while !skipSymbol("}") { _ = try field() }
        }
        let annotations = try annotations()
        listSeparator()
        return FieldSyntax(id: id, requiredness: requiredness, type: type, isReference: isReference, name: name,
                           defaultValue: defaultValue, annotations: annotations, doc: doc, location: start)
    }

    mutating func nest() throws(ThriftCodegenError) {
        nesting += 1
        if nesting > Parser.maxNesting {
            throw ThriftCodegenError(current.location, "nested deeper than \(Parser.maxNesting) levels")
        }
    }

    mutating func fieldType() throws(ThriftCodegenError) -> TypeSyntax {
        try nest()
        defer { nesting -= 1 }
        let loc = current.location
        guard case .identifier(let word) = current.kind else { throw unexpected("a type") }
        index += 1
        let type: TypeSyntax
        switch word {
        case _ where Parser.baseTypes.contains(word):
            type = .base(word, loc)
        case "list":
            try expectSymbol("<", "after 'list'")
            let element = try fieldType()
            try expectSymbol(">", "to close 'list<'")
            try cppType()
            type = .list(element, loc)
        case "set":
            try cppType()
            try expectSymbol("<", "after 'set'")
            let element = try fieldType()
            try expectSymbol(">", "to close 'set<'")
            type = .set(element, loc)
        case "map":
            try cppType()
            try expectSymbol("<", "after 'map'")
            let key = try fieldType()
            try expectSymbol(",", "between the map's key and value types")
            let value = try fieldType()
            try expectSymbol(">", "to close 'map<'")
            type = .map(key, value, loc)
        case "void":
            throw ThriftCodegenError(loc, "'void' is only allowed as a function's return type")
        case "slist":
            throw ThriftCodegenError(loc, "'slist' is not supported (removed from Thrift); use 'string'")
        case _ where Parser.keywords.contains(word):
            throw ThriftCodegenError(loc, "expected a type, found '\(word)'")
        default:
            return .named(word, loc)
        }
        _ = try annotations()
        return type
    }

    mutating func cppType() throws(ThriftCodegenError) {
        if skipWord("cpp_type") {
            guard case .string = current.kind else { throw unexpected("a string after 'cpp_type'") }
            index += 1
        }
    }

    mutating func annotations() throws(ThriftCodegenError) -> [Annotation] {
        guard skipSymbol("(") else { return [] }
        var result: [Annotation] = []
        while !skipSymbol(")") {
            guard case .identifier(let key) = current.kind else { throw unexpected("an annotation name") }
            index += 1
            var value: String?
            if skipSymbol("=") {
                guard case .string(let v) = current.kind else { throw unexpected("an annotation value in quotes") }
                index += 1
                value = v
            }
            listSeparator()
            result.append(Annotation(key: key, value: value))
        }
        return result
    }

    mutating func constValue() throws(ThriftCodegenError) -> ConstSyntax {
        try nest()
        defer { nesting -= 1 }
        let t = current
        switch t.kind {
        case .integer(let v):
            index += 1
            return .integer(v, t.location)
        case .double(let v):
            index += 1
            return .double(v, t.location)
        case .string(let s):
            index += 1
            return .string(s, t.location)
        case .identifier("true"):
            index += 1
            return .integer(1, t.location)
        case .identifier("false"):
            index += 1
            return .integer(0, t.location)
        case .identifier(let name):
            index += 1
            return .identifier(name, t.location)
        case .symbol("["):
            index += 1
            var items: [ConstSyntax] = []
            while !skipSymbol("]") {
                items.append(try constValue())
                listSeparator()
            }
            return .list(items, t.location)
        case .symbol("{"):
            index += 1
            var entries: [ConstSyntax.MapEntry] = []
            while !skipSymbol("}") {
                let key = try constValue()
                try expectSymbol(":", "between a key and its value")
                let value = try constValue()
                listSeparator()
                entries.append(.init(key: key, value: value))
            }
            return .map(entries, t.location)
        default:
            throw unexpected("a constant value")
        }
    }
}
