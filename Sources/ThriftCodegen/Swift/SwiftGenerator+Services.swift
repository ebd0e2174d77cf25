/// Services: the handler protocol, argument and result wrappers, the processor and the client.
extension SwiftGenerator {
    /// Declarations for a service: those that go in the file's namespace, and the client
    /// protocol's extension, which must be at file scope.
    struct ServiceDecls {
        var namespaced: [SwiftDecl] = []
        var fileScope: [SwiftDecl] = []
    }

    /// `<Service><Method>Args`: the internal struct of a function's arguments.
    func argsName(_ service: ServiceDefinition, _ f: Function) -> String {
        SwiftGenerator.wrapperName(typeNames[service.id]!, f.name, "Args")
    }

    /// `<Service><Method>Result`: the internal struct of a function's result.
    func resultName(_ service: ServiceDefinition, _ f: Function) -> String {
        SwiftGenerator.wrapperName(typeNames[service.id]!, f.name, "Result")
    }

    static func wrapperName(_ service: String, _ function: String, _ suffix: String) -> String {
        service + SwiftNames.upperCamel(function) + suffix
    }
    func methodName(_ f: Function) -> String { SwiftNames.escape(SwiftNames.lowerCamel(f.name)) }

    /// The label of the request-context parameter: `context`, unless an argument has that name.
    func contextLabel(_ f: Function) -> String {
        f.arguments.contains { rawPropertyName($0) == "context" } ? "requestContext" : "context"
    }

    func resultFields(_ f: Function) -> [Field] {
        var fields: [Field] = []
        if let type = f.returnType {
            fields.append(Field(id: 0, name: "success", type: type, requiredness: .optional, defaultValue: nil, doc: nil,
                                location: f.location))
        }
        for e in f.exceptions {
            var field = e
            field.requiredness = .optional
            field.defaultValue = nil
            fields.append(field)
        }
        return fields
    }

    func serviceDecls(_ service: ServiceDefinition) throws(ThriftCodegenError) -> ServiceDecls {
        let name = typeNames[service.id]!
        let ns = namespaces[service.id.file]!.name
        var out = ServiceDecls()
        let parent = service.extends

        // Handler protocol.
        var requirements: [SwiftDecl] = []
        for f in service.functions {
            try checkFieldNames(f.arguments, owner: "the arguments of '\(f.name)'")
            try checkFieldNames(resultFields(f), owner: "the result of '\(f.name)'")
            let parameters = f.arguments.map { "\(propertyName($0)): \(propertyType($0))" } + ["\(contextLabel(f)): RequestContext"]
            let returns = f.returnType.map { " -> \(swiftType($0))" } ?? ""
            requirements.append(.function(docs: docLines(f.doc),
                                          head: "func \(methodName(f))(\(parameters.joined(separator: ", "))) async throws\(returns)",
                                          body: nil))
        }
        let handlerParent = parent.map { qualifiedSuffixed($0, "Handler") } ?? "Swift.Sendable"
        var handlerDocs = docLines(service.doc)
        if !handlerDocs.isEmpty { handlerDocs.append("") }
        handlerDocs.append("Implements `\(service.id.name)`: one method per function, called with the decoded arguments and the request's context.")
        if let parent { handlerDocs.append("Refines the handler of `\(parent.name)`, which this service extends.") }
        out.namespaced.append(.type(SwiftTypeDecl(docs: handlerDocs, keyword: "public protocol", name: "\(name)Handler",
                                                  inherits: [handlerParent], members: requirements)))

        // Argument and result wrappers.
        for f in service.functions {
            // Wire names as Apache's compilers name these structs (they are not on the wire in binary or compact).
            out.namespaced.append(structDecl(StructShape(name: argsName(service, f), wireName: "\(service.id.name)_\(f.name)_args", access: "",
                                                         conformances: ["ThriftStruct"], fields: f.arguments, docs: [],
                                                         isBoxed: false)))
            if !f.isOneway {
                out.namespaced.append(structDecl(StructShape(name: resultName(service, f), wireName: "\(service.id.name)_\(f.name)_result",
                                                             access: "", conformances: ["ThriftStruct"], fields: resultFields(f),
                                                             docs: [], isBoxed: false)))
            }
        }

        out.namespaced.append(processorDecl(service, name: name, ns: ns))
        out.namespaced.append(callsDecl(service, name: name, ns: ns))
        out.namespaced += clientDecls(service, name: name)
        if !service.functions.isEmpty {
            out.fileScope.append(clientExtension(service, name: name, ns: ns))
        }
        return out
    }

    /// `N.<Service><suffix>` for a service.
    func qualifiedSuffixed(_ id: DefinitionID, _ suffix: String) -> String {
        namespaces[id.file]!.name + "." + typeNames[id]! + suffix
    }

    /// `<Service>Calls.make`: decodes a call's arguments and returns what runs it. A static
    /// function of a plain enum, generic over the handler: a processor of a service extending
    /// this one (in another module) reaches it without instantiating a generic processor type,
    /// a runtime metadata lookup of ~650 instructions per request (callgrind).
    func callsDecl(_ service: ServiceDefinition, name: String, ns: String) -> SwiftDecl {
        var cases: [SwiftStatement.SwitchCase] = []
        for f in service.functions {
            let args = argsName(service, f)
            let result = resultName(service, f)
            var body: [SwiftStatement] = []
            body.append(.line(f.arguments.isEmpty ? "_ = try \(args)(from: &reader)" : "let args = try \(args)(from: &reader)"))
            let callArguments = f.arguments.map { "\(argumentLabel($0)): args.\(propertyName($0))" }
                + ["\(contextLabel(f)): context"]
            let call = "handler.\(methodName(f))(\(callArguments.joined(separator: ", ")))"
            if f.isOneway {
                body.append(.block("return ThriftCall(oneway: true) { context, responder in", [
                    .chain([
                        .init("do", [.line("try await \(call)"), .line("responder.done()")]),
                        .init("catch", [.line("responder.done(failure: error)")]),
                    ]),
                ]).asClosure)
            } else {
                var doBody: [SwiftStatement]
                if f.returnType != nil {
                    doBody = [
                        .line("let success = try await \(call)"),
                        .line("responder.reply(\(result)(success: success))"),
                    ]
                } else {
                    doBody = [
                        .line("try await \(call)"),
                        .line("responder.reply(\(result)())"),
                    ]
                }
                var parts: [SwiftStatement.ChainPart] = [.init("do", doBody)]
                for e in f.exceptions {
                    parts.append(.init("catch let error as \(swiftType(e.type))", [
                        .line("responder.reply(\(result)(\(argumentLabel(e)): error), declared: error)"),
                    ]))
                }
                // A method declaring baseplate's Error can answer other errors with it when the
                // app asks (baseplate.py's convert_to_baseplate_error).
                if let e = f.exceptions.first(where: { swiftType($0.type) == "Baseplate.BaseplateError" }) {
                    parts.append(.init("catch", [
                        .line("responder.fail(error, convertingInto: { \(result)(\(argumentLabel(e)): $0) })"),
                    ]))
                } else {
                    parts.append(.init("catch", [.line("responder.fail(error)")]))
                }
                body.append(.block("return ThriftCall { context, responder in", [.chain(parts)]).asClosure)
            }
            cases.append(.init("case \(SwiftNames.stringLiteral(f.name)):", body))
        }
        let fallback = service.extends.map {
            "return try \(qualifiedSuffixed($0, "Calls")).make(method, handler: handler, reader: &reader)"
        } ?? "return nil"
        let makeBody: [SwiftStatement] = cases.isEmpty
            ? [.line(fallback)]
            : [.switch("method", cases + [.init("default:", [.line(fallback)])])]
        // Once per reader the server uses, then for any reader: with the reader's type known,
        // argument decoding is specialized instead of a witness-table call per field (~450
        // instructions for is_healthy, more for larger arguments; callgrind). The text is the
        // same; a parent's `make` resolves to the overload for the same reader.
        func make(_ readerType: String, generic: Bool) -> SwiftDecl {
            .function(docs: generic ? [
                "Decodes the arguments of `method` and returns the call to run, or nil for a method neither",
                "this service nor one it extends has. Processors of services extending this one call it.",
            ] : ["`make` for a \(readerType) (specialized)."],
                head: "public static func make<Handler: \(ns).\(name)Handler\(generic ? ", R: ThriftReader" : "")>(_ method: Swift.String, handler: Handler, reader: inout \(readerType)) throws(ThriftProtocolError) -> ThriftCall?",
                body: makeBody)
        }
        return .type(SwiftTypeDecl(
            docs: ["Decodes `\(service.id.name)` calls\(service.extends == nil ? "" : " (inherited ones too)") for a handler: what `\(name)Processor` runs."],
            keyword: "public enum", name: "\(name)Calls",
            members: [make("R", generic: true), make("BinaryReader", generic: false), make("CompactReader", generic: false)]))
    }

    func processorDecl(_ service: ServiceDefinition, name: String, ns: String) -> SwiftDecl {
        let members: [SwiftDecl] = [
            .property(docs: [], head: "public let handler: Handler", accessors: nil),
            .function(docs: [], head: "public init(handler: Handler)", body: [.line("self.handler = handler")]),
            .function(docs: [],
                      head: "public func makeCall(_ method: Swift.String, reader: inout BinaryReader) throws(ThriftProtocolError) -> ThriftCall?",
                      body: [.line("try \(ns).\(name)Calls.make(method, handler: handler, reader: &reader)")]),
            .function(docs: [],
                      head: "public func makeCall(_ method: Swift.String, reader: inout CompactReader) throws(ThriftProtocolError) -> ThriftCall?",
                      body: [.line("try \(ns).\(name)Calls.make(method, handler: handler, reader: &reader)")]),
            .function(docs: [
                "Decodes the arguments of `method` and returns the call to run, or nil for a method neither",
                "this service nor one it extends has (`\(name)Calls.make`).",
            ], head: "public func dispatch<R: ThriftReader>(_ method: Swift.String, reader: inout R) throws(ThriftProtocolError) -> ThriftCall?",
               body: [.line("try \(ns).\(name)Calls.make(method, handler: handler, reader: &reader)")]),
        ]
        return .type(SwiftTypeDecl(
            docs: ["Dispatches `\(service.id.name)` calls\(service.extends == nil ? "" : " (inherited ones too)") to a handler."],
            keyword: "public struct", name: "\(name)Processor<Handler: \(ns).\(name)Handler>",
            inherits: ["ThriftProcessor"], members: members))
    }

    func clientDecls(_ service: ServiceDefinition, name: String) -> [SwiftDecl] {
        let protocolDecl: SwiftDecl
        if let parent = service.extends {
            protocolDecl = .type(SwiftTypeDecl(
                docs: ["Calls `\(service.id.name)` and the services it extends over a channel. Adopted by `\(name)Client`."],
                keyword: "public protocol", name: "\(name)ClientProtocol",
                inherits: [qualifiedSuffixed(parent, "ClientProtocol")]))
        } else {
            protocolDecl = .type(SwiftTypeDecl(
                docs: ["Calls `\(service.id.name)` over a channel. Adopted by `\(name)Client`."],
                keyword: "public protocol", name: "\(name)ClientProtocol", inherits: ["Swift.Sendable"],
                members: [
                    .property(docs: ["The connection calls go through."], head: "var channel: any ThriftChannel { get }", accessors: nil),
                    .property(docs: ["Sequence ids of this client's calls."], head: "var sequenceIDs: ThriftClientCall.SequenceIDs { get }",
                              accessors: nil),
                ]))
        }
        let client = SwiftDecl.type(SwiftTypeDecl(
            docs: ["A client of `\(service.id.name)`: `async throws` methods, one per function\(service.extends == nil ? "" : " (inherited ones too)")."],
            keyword: "public struct", name: "\(name)Client", inherits: ["\(namespaces[service.id.file]!.name).\(name)ClientProtocol"],
            members: [
                .property(docs: [], head: "public let channel: any ThriftChannel", accessors: nil),
                .property(docs: [], head: "public let sequenceIDs: ThriftClientCall.SequenceIDs", accessors: nil),
                .function(docs: [],
                          head: "public init(channel: any ThriftChannel, sequenceIDs: ThriftClientCall.SequenceIDs = ThriftClientCall.SequenceIDs())",
                          body: [.line("self.channel = channel"), .line("self.sequenceIDs = sequenceIDs")]),
            ]))
        return [protocolDecl, client]
    }

    func clientExtension(_ service: ServiceDefinition, name: String, ns: String) -> SwiftDecl {
        var methods: [SwiftDecl] = []
        for f in service.functions {
            let args = "\(ns).\(argsName(service, f))"
            let result = "\(ns).\(resultName(service, f))"
            let parameters = f.arguments.map { a in
                "\(propertyName(a)): \(propertyType(a))" + (initializerDefault(a).map { " = \($0)" } ?? "")
            }
            let argsValue = "\(args)(" + f.arguments.map { "\(argumentLabel($0)): \(propertyName($0))" }
                .joined(separator: ", ") + ")"
            let wire = SwiftNames.stringLiteral(f.name)
            var body: [SwiftStatement] = []
            if f.isOneway {
                body.append(.line("try await ThriftClientCall.oneway(\(wire), args: \(argsValue), channel: self.channel, sequenceIDs: self.sequenceIDs)"))
            } else {
                let call = "try await ThriftClientCall.call(\(wire), args: \(argsValue), result: \(result).self, channel: self.channel, sequenceIDs: self.sequenceIDs)"
                if f.returnType == nil && f.exceptions.isEmpty {
                    body.append(.line("_ = \(call)"))
                } else {
                    body.append(.line("let __result = \(call)"))
                    if f.returnType != nil {
                        body.append(.line("if let __success = __result.success { return __success }"))
                    }
                    for e in f.exceptions {
                        body.append(.line("if let __error = __result.\(propertyName(e)) { throw __error }"))
                    }
                    if f.returnType != nil {
                        let message = SwiftNames.stringLiteral("\(f.name) failed: unknown result")
                        body.append(.line("throw TApplicationException(.missingResult, \(message))"))
                    }
                }
            }
            let returns = f.returnType.map { " -> \(swiftType($0))" } ?? ""
            methods.append(.function(docs: docLines(f.doc),
                                     head: "public func \(methodName(f))(\(parameters.joined(separator: ", "))) async throws\(returns)",
                                     body: body))
        }
        return .type(SwiftTypeDecl(keyword: "extension", name: "\(ns).\(name)ClientProtocol", members: methods))
    }
}

extension SwiftStatement {
    /// A `.block` whose head ends in `{ params in`: rendered as a closure (`head` … `}`).
    var asClosure: SwiftStatement {
        guard case .block(let head, let body) = self else { return self }
        return .closure(head, body, "")
    }
}
