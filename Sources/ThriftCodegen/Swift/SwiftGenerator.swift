/// Turns the `Model` into Swift files, one per IDL file asked for.
///
/// **Where types go.** Each IDL file has a Swift namespace N: its `namespace swift N`, or else its
/// file name in UpperCamelCase (`shared_types.thrift` → `SharedTypes`). When N is the module being
/// compiled (`moduleName`; without one, when the namespace is written explicitly), the file's
/// types are declared at module level; otherwise they are declared in `public enum N`. Generated
/// code names every IDL type as `N.Type`, which is valid either way.
///
/// **Included files.** A file compiled in the same run is referenced by its namespace. A file
/// compiled elsewhere is, with an explicit `namespace swift M` other than this module, taken to be
/// compiled into module `M`, which is imported; without one, to be compiled into this module (by
/// another run).
public struct SwiftGenerator {
    public struct Options: Sendable {
        /// The Swift module the generated files are compiled into (the plugin passes the
        /// target's module name).
        public var moduleName: String?

        public init(moduleName: String? = nil) {
            self.moduleName = moduleName
        }
    }

    struct Namespace {
        var name: String
        /// Declared at module level (else inside `public enum <name>`).
        var isModuleLevel: Bool
        var isExplicit: Bool
    }

    let model: Model
    let options: Options
    var namespaces: [String: Namespace] = [:]
    /// Swift names (unqualified, unescaped) of structs, enums, typedefs and services.
    var typeNames: [DefinitionID: String] = [:]
    /// Structs that store their fields in a box because they contain themselves by value.
    var boxed: Set<DefinitionID> = []
    /// Unions that are `indirect` for the same reason.
    var indirectUnions: Set<DefinitionID> = []
    /// Structs and unions that contain themselves (through containers too), by component: their
    /// decoding counts nesting within the component and stops at `thriftMaxSkipDepth`, as C++'s
    /// recursion limit does, so hostile input cannot overflow the stack.
    var recursiveComponent: [DefinitionID: Int] = [:]

    public init(model: Model, options: Options = Options()) throws(ThriftCodegenError) {
        self.model = model
        self.options = options
        if let module = options.moduleName, !SwiftNames.isIdentifier(module) {
            throw ThriftCodegenError(SourceLocation(file: "<command line>", line: 1, column: 1),
                                     "module name '\(module)' is not a Swift identifier")
        }
        for (path, program) in model.programs.sorted(by: { $0.key < $1.key }) {
            let explicit = program.namespaces["swift"]
            let name = explicit ?? SwiftNames.upperCamel(program.includeName)
            let location = program.swiftNamespaceLocation ?? SourceLocation(file: path, line: 1, column: 1)
            guard SwiftNames.isIdentifier(name), !SwiftNames.keywords.contains(name) else {
                let what = explicit != nil ? "namespace swift '\(name)'" : "the namespace '\(name)' derived from the file name"
                throw ThriftCodegenError(location, "\(what) is not a Swift identifier; write `namespace swift Name`")
            }
            if SwiftNames.runtimeNames.contains(name) && name != "Baseplate" {
                throw ThriftCodegenError(location, "namespace '\(name)' would hide a name the generated code uses")
            }
            let isModuleLevel: Bool
            if model.roots.contains(path) {
                isModuleLevel = options.moduleName.map { $0 == name } ?? (explicit != nil)
            } else {
                // Compiled elsewhere: an explicit namespace names the module it is compiled into.
                isModuleLevel = explicit != nil || name == options.moduleName
            }
            namespaces[path] = Namespace(name: name, isModuleLevel: isModuleLevel, isExplicit: explicit != nil)
        }
        try assignTypeNames()
        findRecursiveTypes()
    }

    /// Generates one file per root IDL file.
    public func generate() throws(ThriftCodegenError) -> [GeneratedFile] {
        var declared: Set<String> = []
        var files: [GeneratedFile] = []
        for root in model.roots {
            let ns = namespaces[root]!
            let declaresNamespace = !ns.isModuleLevel && !declared.contains(ns.name)
            declared.insert(ns.name)
            let file = try swiftFile(for: root, declaresNamespace: declaresNamespace)
            files.append(GeneratedFile(name: ThriftCodegen.outputFileName(for: root), source: root,
                                       contents: SwiftRenderer.render(file)))
        }
        return files
    }

    // MARK: names

    mutating func assignTypeNames() throws(ThriftCodegenError) {
        for (path, program) in model.programs.sorted(by: { $0.key < $1.key }) {
            let ns = namespaces[path]!
            var used: [String: SourceLocation] = [:]
            func claim(_ name: String, _ location: SourceLocation) throws(ThriftCodegenError) {
                if let previous = used[name] {
                    throw ThriftCodegenError(location, "the Swift name '\(name)' is already used by the definition at \(previous)")
                }
                used[name] = location
            }
            for ref in program.definitions {
                let id: DefinitionID
                let location: SourceLocation
                var annotations: [Annotation] = []
                switch ref {
                case .typedef(let i):
                    id = i
                    location = model.typedefs[i]!.location
                    annotations = model.typedefs[i]!.annotations
                case .enumeration(let i):
                    id = i
                    location = model.enums[i]!.location
                    annotations = model.enums[i]!.annotations
                case .structure(let i):
                    id = i
                    location = model.structs[i]!.location
                    annotations = model.structs[i]!.annotations
                case .service(let i):
                    id = i
                    location = model.services[i]!.location
                case .constant:
                    continue
                }
                var name = annotations.first(where: { $0.key == "swift.name" })?.value ?? id.name
                if ns.isModuleLevel && SwiftNames.standardLibraryTypes.contains(name) {
                    name = ns.name + name
                }
                guard SwiftNames.isIdentifier(name) else {
                    throw ThriftCodegenError(location, "'\(name)' is not a Swift identifier")
                }
                if SwiftNames.runtimeNames.contains(name) {
                    throw ThriftCodegenError(location, "'\(name)' would hide the runtime type of that name, which generated code uses; rename it or annotate it (swift.name = \"…\")")
                }
                if name == ns.name, !isService(ref) {
                    throw ThriftCodegenError(location, "'\(name)' has the name of its Swift namespace; rename it or set `namespace swift`")
                }
                typeNames[id] = name
                if isService(ref) {
                    for suffix in ["Handler", "Processor", "Calls", "Client", "ClientProtocol"] {
                        try claim(name + suffix, location)
                    }
                    for f in model.services[id]!.functions {
                        try claim(SwiftGenerator.wrapperName(name, f.name, "Args"), f.location)
                        try claim(SwiftGenerator.wrapperName(name, f.name, "Result"), f.location)
                    }
                } else {
                    try claim(name, location)
                }
            }
            if program.definitions.contains(where: { if case .constant = $0 { true } else { false } }) {
                try claim(ns.name + "Constants", SourceLocation(file: path, line: 1, column: 1))
            }
        }
    }

    func isService(_ ref: DefinitionRef) -> Bool {
        if case .service = ref { return true }
        return false
    }

    /// `N.Name` for a struct, enum, typedef or service.
    func qualified(_ id: DefinitionID) -> String {
        namespaces[id.file]!.name + "." + SwiftNames.escape(typeNames[id]!)
    }

    func simpleName(_ id: DefinitionID) -> String { SwiftNames.escape(typeNames[id]!) }

    /// The namespace enum of constants of a file.
    func constantsName(_ path: String) -> String { namespaces[path]!.name + "Constants" }

    // MARK: recursion

    /// Finds structs and unions that contain themselves through fields (not through containers,
    /// which are already indirect) and so need indirect storage; and, through containers too,
    /// those whose decoding must count its nesting.
    mutating func findRecursiveTypes() {
        var direct: [DefinitionID: [DefinitionID]] = [:]
        var all: [DefinitionID: [DefinitionID]] = [:]
        for (id, s) in model.structs {
            direct[id] = s.fields.compactMap { f in
                if case .structure(let target) = model.underlying(f.type) { return target }
                return nil
            }
            all[id] = s.fields.flatMap { structsIn($0.type) }
        }
        for id in SwiftGenerator.recursiveComponents(direct).flatMap({ $0 }) {
            if model.structs[id]!.kind == .union { indirectUnions.insert(id) } else { boxed.insert(id) }
        }
        for (n, component) in SwiftGenerator.recursiveComponents(all).enumerated() {
            for id in component { recursiveComponent[id] = n }
        }
    }

    /// Structs named anywhere in a type (inside containers too).
    func structsIn(_ type: TypeRef) -> [DefinitionID] {
        switch model.underlying(type) {
        case .structure(let id): [id]
        case .list(let e), .set(let e): structsIn(e)
        case .map(let k, let v): structsIn(k) + structsIn(v)
        default: []
        }
    }

    /// The strongly connected components of a graph that contain a cycle (Tarjan's algorithm),
    /// in a deterministic order.
    static func recursiveComponents(_ edges: [DefinitionID: [DefinitionID]]) -> [[DefinitionID]] {
        var index = 0
        var indices: [DefinitionID: Int] = [:]
        var lowlink: [DefinitionID: Int] = [:]
        var stack: [DefinitionID] = []
        var onStack: Set<DefinitionID> = []
        var components: [[DefinitionID]] = []
        func visit(_ v: DefinitionID) {
            indices[v] = index
            lowlink[v] = index
            index += 1
            stack.append(v)
            onStack.insert(v)
            for w in edges[v] ?? [] {
                if indices[w] == nil {
                    visit(w)
                    lowlink[v] = min(lowlink[v]!, lowlink[w]!)
                } else if onStack.contains(w) {
                    lowlink[v] = min(lowlink[v]!, indices[w]!)
                }
            }
            if lowlink[v] == indices[v] {
                var component: [DefinitionID] = []
                while let w = stack.popLast() {
                    onStack.remove(w)
                    component.append(w)
                    if w == v { break }
                }
                if component.count > 1 || (edges[v] ?? []).contains(v) {
                    components.append(component.sorted())
                }
            }
        }
        for id in edges.keys.sorted() where indices[id] == nil { visit(id) }
        return components
    }

    // MARK: files

    func swiftFile(for path: String, declaresNamespace: Bool) throws(ThriftCodegenError) -> SwiftFile {
        let program = model.programs[path]!
        let ns = namespaces[path]!
        var banner = [
            "DO NOT EDIT.",
            "Generated by thrift-swift from \(Paths.fileName(of: path)).",
        ]
        if !ns.isModuleLevel {
            banner.append("Its definitions are in `\(ns.name)`.")
        }
        var imports: [String] = []
        if options.moduleName != "Baseplate" && !(options.moduleName == nil && ns.isModuleLevel && ns.name == "Baseplate") {
            imports.append("Baseplate")
        }
        let currentModule = options.moduleName ?? (ns.isModuleLevel ? ns.name : nil)
        for included in transitiveIncludes(of: path) where !model.roots.contains(included) {
            let other = namespaces[included]!
            if other.isExplicit && other.name != currentModule && !imports.contains(other.name) {
                imports.append(other.name)
            }
        }
        // The runtime first, then the modules of included files.
        imports = (imports.contains("Baseplate") ? ["Baseplate"] : []) + imports.filter { $0 != "Baseplate" }.sorted()

        var decls: [SwiftDecl] = []
        var fileScope: [SwiftDecl] = []
        for ref in program.definitions {
            switch ref {
            case .typedef(let id): decls.append(typedefDecl(model.typedefs[id]!))
            case .enumeration(let id): decls.append(enumDecl(model.enums[id]!))
            case .structure(let id):
                let s = model.structs[id]!
                decls.append(try s.kind == .union ? unionDecl(s) : structDecl(s))
            case .service(let id):
                let service = try serviceDecls(model.services[id]!)
                decls += service.namespaced
                // At module level the client's extension can follow the client.
                if ns.isModuleLevel { decls += service.fileScope } else { fileScope += service.fileScope }
            case .constant: break
            }
        }
        let constants = program.definitions.compactMap { ref -> ConstDefinition? in
            if case .constant(let id) = ref { return model.constants[id] }
            return nil
        }
        if !constants.isEmpty {
            decls.append(try constantsDecl(constants, path: path))
        }
        if !ns.isModuleLevel {
            var wrapped: [SwiftDecl] = []
            if declaresNamespace {
                wrapped.append(.type(SwiftTypeDecl(docs: ["The definitions of `\(Paths.fileName(of: path))` (Thrift namespace of Swift code)."],
                                                   keyword: "public enum", name: ns.name)))
            }
            wrapped.append(.type(SwiftTypeDecl(keyword: "extension", name: ns.name, members: decls)))
            decls = wrapped
        }
        return SwiftFile(banner: banner, imports: imports, declarations: decls + fileScope)
    }

    func transitiveIncludes(of path: String) -> [String] {
        var seen: [String] = []
        var queue = model.programs[path]!.includes
        while let next = queue.first {
            queue.removeFirst()
            if seen.contains(next) { continue }
            seen.append(next)
            queue += model.programs[next]!.includes
        }
        return seen
    }

    /// Doc comment lines.
    func docLines(_ doc: String?) -> [String] {
        guard let doc, !doc.isEmpty else { return [] }
        return doc.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}

/// One generated file.
public struct GeneratedFile: Equatable, Sendable {
    /// The file name to write (`<idl base name>.thrift.swift`).
    public var name: String
    /// The IDL file it was generated from.
    public var source: String
    public var contents: String
}
