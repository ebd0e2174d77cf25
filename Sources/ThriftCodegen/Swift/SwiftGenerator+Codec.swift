/// Statements that read and write values, generic over the protocol (the enclosing function has
/// `reader: inout R` / `writer: inout W`), so they specialise per protocol at compile time.
///
/// Sets and maps are written in a stable order: sorted by key as Apache C++ (`std::set`,
/// `std::map`) orders them — numbers by value, strings and binaries by their bytes, enums by
/// value, `false` before `true` — and keys of struct, union or container type by their
/// binary-protocol encoding. Swift's own iteration order changes from run to run.
extension SwiftGenerator {
    /// Counts temporaries so nested and sibling containers get distinct names.
    struct Temporaries {
        var next = 0
        mutating func take() -> Int {
            defer { next += 1 }
            return next
        }
    }

    /// An expression reading one value of a non-container type.
    func readExpression(_ type: TypeRef, reader: String, component: Int?) -> String {
        switch model.underlying(type) {
        case .bool: "try \(reader).readBool()"
        case .byte: "try \(reader).readByte()"
        case .i16: "try \(reader).readI16()"
        case .i32: "try \(reader).readI32()"
        case .i64: "try \(reader).readI64()"
        case .double: "try \(reader).readDouble()"
        case .string: "try \(reader).readString()"
        case .binary: "try \(reader).readBinary()"
        case .uuid: "try \(reader).readUUID()"
        case .enumeration: "\(swiftType(type))(rawValue: try \(reader).readI32())"
        case .structure(let id):
            if let component, recursiveComponent[id] == component {
                "try \(swiftType(type))(from: &\(reader), depth: depth + 1)"
            } else {
                "try \(swiftType(type))(from: &\(reader))"
            }
        case .list, .set, .map, .typedef: preconditionFailure("containers are read by statements")
        }
    }

    /// Statements reading one value of `type` and handing the expression holding it to `use`
    /// (which returns the statement consuming it).
    func readStatements(_ type: TypeRef, reader: String, component: Int?, temporaries: inout Temporaries,
                        use: (String) -> String) -> [SwiftStatement] {
        let resolved = model.underlying(type)
        switch resolved {
        case .list(let element), .set(let element):
            let isSet: Bool = if case .set = resolved { true } else { false }
            let n = temporaries.take()
            let header = "__h\(n)"
            let collection = "__c\(n)"
            var body: [SwiftStatement] = [
                .line("let \(header) = try \(reader).\(isSet ? "readSetBegin" : "readListBegin")()"),
                .block("if \(header).count > 0 && \(header).elementType != \(ttype(element))", [
                    .line("throw ThriftProtocolError(.invalidData, \(SwiftNames.stringLiteral("unexpected element type in \(idlType(type))")))"),
                ]),
            ]
            if !isSet, let bulk = bulkName(element) {
                // Lists of fixed-width numbers: read in one call (one array made at its size).
                body.append(.line("let \(collection) = try \(reader).read\(bulk)(count: \(header).count)"))
                body.append(.line(use(collection)))
                return body
            }
            body += [
                .line("var \(collection): \(swiftType(resolved)) = []"),
                .line("\(collection).reserveCapacity(Swift.min(\(header).count, 1024))"),
            ]
            let append = isSet ? "insert" : "append"
            let loop = readStatements(element, reader: reader, component: component, temporaries: &temporaries) { "\(collection).\(append)(\($0))" }
            body.append(.block("for _ in 0..<\(header).count", loop))
            body.append(.line(use(collection)))
            return body
        case .map(let keyType, let valueType):
            let n = temporaries.take()
            let header = "__h\(n)"
            let collection = "__c\(n)"
            var body: [SwiftStatement] = [
                .line("let \(header) = try \(reader).readMapBegin()"),
                .block("if \(header).count > 0 && (\(header).keyType != \(ttype(keyType)) || \(header).valueType != \(ttype(valueType)))", [
                    .line("throw ThriftProtocolError(.invalidData, \(SwiftNames.stringLiteral("unexpected key or value type in \(idlType(type))")))"),
                ]),
                .line("var \(collection): \(swiftType(resolved)) = [:]"),
                .line("\(collection).reserveCapacity(Swift.min(\(header).count, 1024))"),
            ]
            var loop = readStatements(keyType, reader: reader, component: component, temporaries: &temporaries) { "let __k\(n) = \($0)" }
            loop += readStatements(valueType, reader: reader, component: component, temporaries: &temporaries) { "\(collection)[__k\(n)] = \($0)" }
            body.append(.block("for _ in 0..<\(header).count", loop))
            body.append(.line(use(collection)))
            return body
        default:
            return [.line(use(readExpression(type, reader: reader, component: component)))]
        }
    }

    /// Statements writing `value` (an expression of `type`).
    func writeStatements(_ type: TypeRef, value: String, writer: String, temporaries: inout Temporaries) -> [SwiftStatement] {
        switch model.underlying(type) {
        case .bool: return [.line("\(writer).writeBool(\(value))")]
        case .byte: return [.line("\(writer).writeByte(\(value))")]
        case .i16: return [.line("\(writer).writeI16(\(value))")]
        case .i32: return [.line("\(writer).writeI32(\(value))")]
        case .i64: return [.line("\(writer).writeI64(\(value))")]
        case .double: return [.line("\(writer).writeDouble(\(value))")]
        case .string: return [.line("\(writer).writeString(\(value))")]
        case .binary: return [.line("\(writer).writeBinary(\(value))")]
        case .uuid: return [.line("\(writer).writeUUID(\(value))")]
        case .enumeration: return [.line("\(writer).writeI32(\(value).rawValue)")]
        case .structure: return [.line("\(value).write(to: &\(writer))")]
        case .list(let element):
            let begin = SwiftStatement.line("\(writer).writeListBegin(ListHeader(elementType: \(ttype(element)), count: \(value).count))")
            // Lists of fixed-width numbers: written in one call (one check for room).
            if let bulk = bulkName(element) { return [begin, .line("\(writer).write\(bulk)(\(value))")] }
            let n = temporaries.take()
            return [
                begin,
                .block("for __e\(n) in \(value)",
                       writeStatements(element, value: "__e\(n)", writer: writer, temporaries: &temporaries)),
            ]
        case .set(let element):
            let n = temporaries.take()
            var out: [SwiftStatement] = [
                .line("\(writer).writeSetBegin(ListHeader(elementType: \(ttype(element)), count: \(value).count))"),
            ]
            let (prelude, sequence) = sortedSequence(of: value, keyType: element, isMap: false, n: n, temporaries: &temporaries)
            out += prelude
            out.append(.block("for __e\(n) in \(sequence)",
                              writeStatements(element, value: "__e\(n)", writer: writer, temporaries: &temporaries)))
            return out
        case .map(let keyType, let valueType):
            let n = temporaries.take()
            var out: [SwiftStatement] = [
                .line("\(writer).writeMapBegin(MapHeader(keyType: \(ttype(keyType)), valueType: \(ttype(valueType)), count: \(value).count))"),
            ]
            let (prelude, sequence) = sortedSequence(of: value, keyType: keyType, isMap: true, n: n, temporaries: &temporaries)
            out += prelude
            var loop = writeStatements(keyType, value: "__k\(n)", writer: writer, temporaries: &temporaries)
            loop += writeStatements(valueType, value: "__v\(n)", writer: writer, temporaries: &temporaries)
            out.append(.block("for (__k\(n), __v\(n)) in \(sequence)", loop))
            return out
        case .typedef:
            preconditionFailure("typedefs are looked through")
        }
    }

    /// The name in `readI64s` / `writeI64s` and the like for a list's element type, when the
    /// protocols read and write such lists in one call.
    func bulkName(_ element: TypeRef) -> String? {
        switch model.underlying(element) {
        case .i32: "I32s"
        case .i64: "I64s"
        case .double: "Doubles"
        default: nil
        }
    }

    /// `a` before `b` as C++'s ordered containers put them, for key types with such an order.
    func orderExpression(_ keyType: TypeRef, _ a: String, _ b: String) -> String? {
        switch model.underlying(keyType) {
        case .bool: "!\(a) && \(b)"
        case .byte, .i16, .i32, .i64, .double: "\(a) < \(b)"
        case .string: "\(a).utf8.lexicographicallyPrecedes(\(b).utf8)"
        case .binary: "\(a).lexicographicallyPrecedes(\(b))"
        case .enumeration: "\(a).rawValue < \(b).rawValue"
        case .uuid: "(\(a).bytes.0, \(a).bytes.1) < (\(b).bytes.0, \(b).bytes.1)"
        default: nil
        }
    }

    /// The elements of a set or map in writing order, with any statements computing it.
    func sortedSequence(of value: String, keyType: TypeRef, isMap: Bool, n: Int,
                        temporaries: inout Temporaries) -> ([SwiftStatement], String) {
        if let order = orderExpression(keyType, isMap ? "$0.key" : "$0", isMap ? "$1.key" : "$1") {
            return ([], "\(value).sorted(by: { \(order) })")
        }
        // No natural order: sort by the keys' binary encoding.
        let element = isMap ? "__x\(n).key" : "__x\(n)"
        var closure: [SwiftStatement] = [.line("var __w\(n) = BinaryWriter()")]
        closure += writeStatements(keyType, value: element, writer: "__w\(n)", temporaries: &temporaries)
        closure.append(.line("return (__x\(n), __w\(n).bytes)"))
        let prelude: [SwiftStatement] = [
            .closure("let __s\(n) = \(value).map { __x\(n) in", closure,
                     ".sorted(by: { $0.1.lexicographicallyPrecedes($1.1) }).map { $0.0 }"),
        ]
        return (prelude, "__s\(n)")
    }
}
