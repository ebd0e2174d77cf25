/// Structs, exceptions, unions, enums, typedefs and constants.
extension SwiftGenerator {
    /// What a Swift struct for a Thrift struct needs; also used for argument and result wrappers.
    struct StructShape {
        var name: String
        /// The IDL name (written as the struct name, used in messages).
        var wireName: String
        /// `public ` or empty.
        var access: String
        var conformances: [String]
        var fields: [Field]
        var docs: [String]
        var isBoxed: Bool
        /// The recursive component the struct is in, if any (see `recursiveComponent`).
        var component: Int? = nil
    }

    func structDecl(_ s: StructDefinition) throws(ThriftCodegenError) -> SwiftDecl {
        try checkFieldNames(s.fields, owner: s.id.name)
        var conformances = ["ThriftStruct", "Swift.Hashable", "Swift.Sendable"]
        if s.kind == .exception { conformances.append("Swift.Error") }
        return structDecl(StructShape(name: simpleName(s.id), wireName: s.id.name, access: "public ", conformances: conformances,
                                      fields: s.fields, docs: docLines(s.doc), isBoxed: boxed.contains(s.id),
                                      component: recursiveComponent[s.id]))
    }

    func structDecl(_ shape: StructShape) -> SwiftDecl {
        let access = shape.access
        var members: [SwiftDecl] = []
        let names = shape.fields.map { SwiftNames.escape(rawPropertyName($0)) }

        // Storage.
        if shape.isBoxed {
            members.append(.type(SwiftTypeDecl(
                docs: ["The fields, behind a reference: the struct contains itself."],
                keyword: "private final class", name: "_Box", inherits: ["Swift.Sendable"],
                members: [
                    .property(docs: [], head: "let fields: _Fields", accessors: nil),
                    .function(docs: [], head: "init(_ fields: _Fields)", body: [.line("self.fields = fields")]),
                ])))
            members.append(.type(SwiftTypeDecl(
                keyword: "private struct", name: "_Fields", inherits: ["Swift.Hashable", "Swift.Sendable"],
                members: zip(shape.fields, names).map { f, name in
                    .property(docs: [], head: "var \(name): \(propertyType(f))", accessors: nil)
                })))
            members.append(.property(docs: [], head: "private var _box: _Box", accessors: nil))
            for (f, name) in zip(shape.fields, names) {
                members.append(.property(docs: docLines(f.doc), head: "\(access)var \(name): \(propertyType(f))", accessors: [
                    .line("get { _box.fields.\(name) }"),
                    .block("set", [
                        .line("var fields = _box.fields"),
                        .line("fields.\(name) = newValue"),
                        .line("_box = _Box(fields)"),
                    ]),
                ]))
            }
        } else {
            for (f, name) in zip(shape.fields, names) {
                members.append(.property(docs: docLines(f.doc), head: "\(access)var \(name): \(propertyType(f))", accessors: nil))
            }
        }

        // Memberwise initialiser.
        let parameters = zip(shape.fields, names).map { f, name in
            "\(name): \(propertyType(f))" + (initializerDefault(f).map { " = \($0)" } ?? "")
        }
        let initBody: [SwiftStatement] = shape.isBoxed
            ? [.line("_box = _Box(_Fields(" + zip(shape.fields, names).map { "\(argumentLabel($0)): \($1)" }.joined(separator: ", ") + "))")]
            : names.map { .line("self.\($0) = \($0)") }
        members.append(.function(docs: [], head: "\(access)init(\(parameters.joined(separator: ", ")))", body: initBody))

        // Decoding.
        var decode: [SwiftStatement] = []
        for f in shape.fields {
            let local = "_" + rawPropertyName(f)
            if f.requiredness == .required || isOptionalProperty(f) {
                decode.append(.line("var \(local): \(optionalType(f.type)) = nil"))
            } else {
                decode.append(.line("var \(local): \(swiftType(f.type)) = \(initializerDefault(f)!)"))
            }
        }
        decode.append(.line("try reader.readStructBegin()"))
        var temporaries = Temporaries()
        var loop: [SwiftStatement] = [
            .line("let __field = try reader.readFieldBegin()"),
            .line("if __field.type == .stop { break }"),
        ]
        if shape.fields.isEmpty {
            loop.append(.line("try reader.skip(__field.type)"))
        } else {
            var cases: [SwiftStatement.SwitchCase] = []
            for f in shape.fields {
                let local = "_" + rawPropertyName(f)
                let read: [SwiftStatement]
                if case .structure(let id) = model.underlying(f.type), model.structs[id]?.kind == .union,
                   f.requiredness == .required || isOptionalProperty(f) {
                    // An empty union (C++ writes one for a union field nobody set) reads as no value.
                    let depth = shape.component != nil && recursiveComponent[id] == shape.component ? ", depth: depth + 1" : ""
                    read = [.line("\(local) = try \(swiftType(f.type)).decodeIfSet(from: &reader\(depth))")]
                } else {
                    read = readStatements(f.type, reader: "reader", component: shape.component, temporaries: &temporaries) {
                        "\(local) = \($0)"
                    }
                }
                cases.append(.init("case (\(f.id), \(ttype(f.type))):", read))
            }
            cases.append(.init("default:", [.line("try reader.skip(__field.type)")]))
            loop.append(.switch("(__field.id, __field.type)", cases))
        }
        loop.append(.line("try reader.readFieldEnd()"))
        decode.append(.block("while true", loop))
        decode.append(.line("try reader.readStructEnd()"))
        for f in shape.fields where f.requiredness == .required {
            let local = "_" + rawPropertyName(f)
            let message = "\(shape.wireName): required field '\(f.name)' (id \(f.id)) is missing"
            decode.append(.line("guard let \(local) else { throw ThriftProtocolError(.invalidData, \(SwiftNames.stringLiteral(message))) }"))
        }
        let arguments = shape.fields.map { f in "\(argumentLabel(f)): _\(rawPropertyName(f))" }
        decode.append(.line("self.init(\(arguments.joined(separator: ", ")))"))
        members += decoders(access: access, name: shape.wireName, component: shape.component, body: decode)

        // Encoding.
        var encode: [SwiftStatement] = [.line("writer.writeStructBegin(name: \(SwiftNames.stringLiteral(shape.wireName)))")]
        for (f, name) in zip(shape.fields, names) {
            var field: [SwiftStatement] = [
                .line("writer.writeFieldBegin(name: \(SwiftNames.stringLiteral(f.name)), type: \(ttype(f.type)), id: \(f.id))"),
            ]
            if isOptionalProperty(f) {
                field += writeStatements(f.type, value: "__value", writer: "writer", temporaries: &temporaries)
                field.append(.line("writer.writeFieldEnd()"))
                encode.append(.block("if let __value = self.\(name)", field))
            } else {
                field += writeStatements(f.type, value: "self.\(name)", writer: "writer", temporaries: &temporaries)
                field.append(.line("writer.writeFieldEnd()"))
                encode += field
            }
        }
        encode.append(.line("writer.writeFieldStop()"))
        encode.append(.line("writer.writeStructEnd()"))
        members += writeFunctions(access: access, body: encode)

        if shape.isBoxed && shape.conformances.contains("Swift.Hashable") {
            members.append(.function(docs: [], head: "\(access)static func == (lhs: Self, rhs: Self) -> Swift.Bool",
                                     body: [.line("lhs._box === rhs._box || lhs._box.fields == rhs._box.fields")]))
            members.append(.function(docs: [], head: "\(access)func hash(into hasher: inout Swift.Hasher)",
                                     body: [.line("_box.fields.hash(into: &hasher)")]))
        }
        return .type(SwiftTypeDecl(docs: shape.docs, keyword: "\(access)struct", name: shape.name,
                                   inherits: shape.conformances, members: members))
    }

    /// `init(from:)` with `body`; for a recursive type, an `init(from:depth:)` with the body
    /// behind a depth check, and `init(from:)` calling it.
    func decoders(access: String, name: String, component: Int?, body: [SwiftStatement],
                  depthChecked: Bool = true) -> [SwiftDecl] {
        let head = "init<R: ThriftReader>(from reader: inout R"
        guard component != nil else {
            return [.function(docs: [], head: "\(access)\(head)) throws(ThriftProtocolError)", body: body)]
        }
        let message = SwiftNames.stringLiteral("\(name): nested deeper than ") + " + Swift.String(thriftMaxSkipDepth)"
        return [
            .function(docs: [], head: "\(access)\(head)) throws(ThriftProtocolError)",
                      body: [.line("try self.init(from: &reader, depth: 0)")]),
            .function(docs: ["Decodes a value nested `depth` levels inside values of its own recursive type."],
                      head: "\(head), depth: Swift.Int) throws(ThriftProtocolError)",
                      body: depthChecked
                        ? [.line("guard depth < thriftMaxSkipDepth else { throw ThriftProtocolError(.depthLimit, \(message)) }")] + body
                        : body),
        ]
    }

    func unionDecl(_ s: StructDefinition) throws(ThriftCodegenError) -> SwiftDecl {
        try checkFieldNames(s.fields, owner: s.id.name)
        var members: [SwiftDecl] = []
        let names = s.fields.map { SwiftNames.escape(rawPropertyName($0)) }
        for (f, name) in zip(s.fields, names) {
            members.append(.enumCase(docs: docLines(f.doc), text: "\(name)(\(swiftType(f.type)))"))
        }
        var temporaries = Temporaries()
        var cases: [SwiftStatement.SwitchCase] = []
        let twice = "\(s.id.name): more than one field is set"
        for (f, name) in zip(s.fields, names) {
            var body: [SwiftStatement] = [
                .line("guard __value == nil else { throw ThriftProtocolError(.invalidData, \(SwiftNames.stringLiteral(twice))) }"),
            ]
            body += readStatements(f.type, reader: "reader", component: recursiveComponent[s.id], temporaries: &temporaries) {
                "__value = .\(name)(\($0))"
            }
            cases.append(.init("case (\(f.id), \(ttype(f.type))):", body))
        }
        cases.append(.init("default:", [.line("try reader.skip(__field.type)")]))
        let none = SwiftNames.stringLiteral("\(s.id.name): no field is set")
        let component = recursiveComponent[s.id]
        let depthArgument = component == nil ? "" : ", depth: depth"
        // `init(from:)` requires a field; `decodeIfSet` also takes a union with none, which is how
        // Apache C++ writes a union field nobody set.
        members += decoders(access: "public ", name: s.id.name, component: component, body: [
            .line("guard let value = try Self.decodeIfSet(from: &reader\(depthArgument)) else {"),
            .line("    throw ThriftProtocolError(.invalidData, \(none))"),
            .line("}"),
            .line("self = value"),
        ], depthChecked: false)
        let body: [SwiftStatement] = [
            .line("var __value: Self? = nil"),
            .line("try reader.readStructBegin()"),
            .block("while true", [
                .line("let __field = try reader.readFieldBegin()"),
                .line("if __field.type == .stop { break }"),
                .switch("(__field.id, __field.type)", cases),
                .line("try reader.readFieldEnd()"),
            ]),
            .line("try reader.readStructEnd()"),
            .line("return __value"),
        ]
        let head = "static func decodeIfSet<R: ThriftReader>(from reader: inout R"
        let docs = ["Decodes a value, or nil for a union with no field set."]
        if component == nil {
            members.append(.function(docs: docs, head: "public \(head)) throws(ThriftProtocolError) -> Self?", body: body))
        } else {
            let message = SwiftNames.stringLiteral("\(s.id.name): nested deeper than ") + " + Swift.String(thriftMaxSkipDepth)"
            members.append(.function(docs: docs, head: "public \(head)) throws(ThriftProtocolError) -> Self?",
                                     body: [.line("try decodeIfSet(from: &reader, depth: 0)")]))
            members.append(.function(docs: [], head: "\(head), depth: Swift.Int) throws(ThriftProtocolError) -> Self?",
                                     body: [.line("guard depth < thriftMaxSkipDepth else { throw ThriftProtocolError(.depthLimit, \(message)) }")] + body))
        }
        var writeCases: [SwiftStatement.SwitchCase] = []
        for (f, name) in zip(s.fields, names) {
            var body: [SwiftStatement] = [
                .line("writer.writeFieldBegin(name: \(SwiftNames.stringLiteral(f.name)), type: \(ttype(f.type)), id: \(f.id))"),
            ]
            body += writeStatements(f.type, value: "__value", writer: "writer", temporaries: &temporaries)
            body.append(.line("writer.writeFieldEnd()"))
            writeCases.append(.init("case .\(name)(let __value):", body))
        }
        members += writeFunctions(access: "public ", body: [
            .line("writer.writeStructBegin(name: \(SwiftNames.stringLiteral(s.id.name)))"),
            .switch("self", writeCases),
            .line("writer.writeFieldStop()"),
            .line("writer.writeStructEnd()"),
        ])
        let keyword = indirectUnions.contains(s.id) ? "public indirect enum" : "public enum"
        return .type(SwiftTypeDecl(docs: docLines(s.doc), keyword: keyword, name: simpleName(s.id),
                                   inherits: ["ThriftStruct", "Swift.Hashable", "Swift.Sendable"], members: members))
    }

    func enumDecl(_ e: EnumDefinition) -> SwiftDecl {
        let cases = enumCaseNames(e)
        let unknown = unknownCaseName(e)
        var members: [SwiftDecl] = cases.map { .enumCase(docs: docLines($0.doc), text: $0.name) }
        members.append(.enumCase(docs: ["A value this version of the IDL does not name (kept, never an error)."],
                                 text: "\(unknown)(Swift.Int32)"))
        var seen: Set<Int32> = []
        var initCases: [SwiftStatement.SwitchCase] = []
        for c in cases where seen.insert(c.value).inserted {
            initCases.append(.init("case \(c.value):", [.line("self = .\(c.name)")]))
        }
        let initBody: [SwiftStatement]
        if initCases.isEmpty {
            initBody = [.line("self = .\(unknown)(rawValue)")]
        } else {
            initCases.append(.init("default:", [.line("self = .\(unknown)(rawValue)")]))
            initBody = [.switch("rawValue", initCases)]
        }
        members.append(.function(docs: [], head: "public init(rawValue: Swift.Int32)", body: initBody))
        var rawCases = cases.map { SwiftStatement.SwitchCase("case .\($0.name):", [.line("\($0.value)")]) }
        rawCases.append(.init("case .\(unknown)(let value):", [.line("value")]))
        members.append(.property(docs: [], head: "public var rawValue: Swift.Int32", accessors: [.switch("self", rawCases)]))
        return .type(SwiftTypeDecl(docs: docLines(e.doc), keyword: "public enum", name: simpleName(e.id),
                                   inherits: ["Swift.Hashable", "Swift.Sendable"], members: members))
    }

    func typedefDecl(_ t: TypedefDefinition) -> SwiftDecl {
        .typealias(docs: docLines(t.doc), head: "public typealias \(simpleName(t.id)) = \(swiftType(t.type))")
    }

    func constantsDecl(_ constants: [ConstDefinition], path: String) throws(ThriftCodegenError) -> SwiftDecl {
        var used: [String: ConstDefinition] = [:]
        var members: [SwiftDecl] = []
        for c in constants {
            var name = SwiftNames.lowerCamel(c.id.name)
            if name.isEmpty { name = "_" + c.id.name }
            if let other = used[name] {
                throw ThriftCodegenError(c.location, "constants '\(other.id.name)' and '\(c.id.name)' both become '\(name)' in Swift")
            }
            used[name] = c
            members.append(.property(docs: docLines(c.doc),
                                     head: "public static let \(SwiftNames.escape(name)): \(swiftType(c.type)) = \(constantExpression(c.value, type: c.type))",
                                     accessors: nil))
        }
        return .type(SwiftTypeDecl(docs: ["The constants of `\(Paths.fileName(of: path))`."], keyword: "public enum",
                                   name: constantsName(path), members: members))
    }

    /// `write(to:)` for any writer and for each writer the server replies with. The body is
    /// written once (`__write`, inlined into each): with the writer's type known, the
    /// encoding is specialized and its writes inlined, instead of a witness-table call per
    /// value (~25 instructions per i64; callgrind, S3 in perf/RESULTS.md).
    func writeFunctions(access: String, body: [SwiftStatement]) -> [SwiftDecl] {
        [
            .function(docs: [], head: "\(access)func write<W: ThriftWriter>(to writer: inout W)", body: [.line("__write(to: &writer)")]),
            .function(docs: [], head: "\(access)func write(to writer: inout BinaryWriter)", body: [.line("__write(to: &writer)")]),
            .function(docs: [], head: "\(access)func write(to writer: inout CompactWriter)", body: [.line("__write(to: &writer)")]),
            .function(docs: [], head: "@inline(__always) private func __write<W: ThriftWriter>(to writer: inout W)", body: body),
        ]
    }
}
