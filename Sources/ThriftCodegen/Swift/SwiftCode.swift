/// Structured Swift: the generator builds these, `SwiftRenderer` turns them into text. Declarations
/// are structured down to their members; signatures and single statements are strings.

/// A declaration.
public indirect enum SwiftDecl: Equatable, Sendable {
    /// A struct, enum, class, protocol or extension and its members.
    case type(SwiftTypeDecl)
    /// A function or initializer: its head (`public init(a: Int)`) and body (nil for a protocol
    /// requirement).
    case function(docs: [String], head: String, body: [SwiftStatement]?)
    /// A stored property (`public var a: Int`), or a computed one with its accessor body.
    case property(docs: [String], head: String, accessors: [SwiftStatement]?)
    /// An enum case; `text` follows `case`.
    case enumCase(docs: [String], text: String)
    case `typealias`(docs: [String], head: String)
}

public struct SwiftTypeDecl: Equatable, Sendable {
    public var docs: [String]
    /// `public struct`, `extension`, `private final class`, `public indirect enum` …
    public var keyword: String
    /// The name with generic parameters (`FooProcessor<Handler: FooHandler>`).
    public var name: String
    public var inherits: [String]
    public var members: [SwiftDecl]

    public init(docs: [String] = [], keyword: String, name: String, inherits: [String] = [], members: [SwiftDecl] = []) {
        self.docs = docs
        self.keyword = keyword
        self.name = name
        self.inherits = inherits
        self.members = members
    }
}

/// A statement inside a body.
public indirect enum SwiftStatement: Equatable, Sendable {
    case line(String)
    /// `head {` body `}`.
    case block(String, [SwiftStatement])
    /// `head` body `}tail`: a closure whose call goes on after it (the head ends with its `{`).
    case closure(String, [SwiftStatement], String)
    /// Blocks joined by `} else {`, `} catch … {`: `do`/`catch` chains and `if`/`else` ladders.
    case chain([ChainPart])
    /// `switch subject {` with `case …:` labels at the switch's own indentation.
    case `switch`(String, [SwitchCase])
    case blank

    public struct ChainPart: Equatable, Sendable {
        public var head: String
        public var body: [SwiftStatement]
        public init(_ head: String, _ body: [SwiftStatement]) {
            self.head = head
            self.body = body
        }
    }

    public struct SwitchCase: Equatable, Sendable {
        /// `case (1, .i32):` or `default:`
        public var label: String
        public var body: [SwiftStatement]
        public init(_ label: String, _ body: [SwiftStatement]) {
            self.label = label
            self.body = body
        }
    }
}

/// One generated Swift file.
public struct SwiftFile: Equatable, Sendable {
    /// Comment lines at the very top (the do-not-edit banner), without `//`.
    public var banner: [String]
    public var imports: [String]
    public var declarations: [SwiftDecl]
}

/// Renders structured Swift with four-space indentation. Output depends only on the input.
public struct SwiftRenderer {
    static let inlineCaseWidth = 110
    var lines: [String] = []
    var depth = 0

    public static func render(_ file: SwiftFile) -> String {
        var r = SwiftRenderer()
        for line in file.banner { r.emit(line.isEmpty ? "//" : "// " + line) }
        if !file.imports.isEmpty {
            r.emit("")
            for module in file.imports { r.emit("import \(module)") }
        }
        for decl in file.declarations {
            r.emit("")
            r.render(decl)
        }
        return r.lines.joined(separator: "\n") + "\n"
    }

    /// Renders one declaration (for golden tests of single stages).
    public static func render(_ decl: SwiftDecl) -> String {
        var r = SwiftRenderer()
        r.render(decl)
        return r.lines.joined(separator: "\n") + "\n"
    }

    mutating func emit(_ line: String) {
        lines.append(line.isEmpty ? "" : String(repeating: "    ", count: depth) + line)
    }

    mutating func docs(_ docs: [String]) {
        for line in docs { emit(line.isEmpty ? "///" : "/// " + line) }
    }

    mutating func render(_ decl: SwiftDecl) {
        switch decl {
        case .type(let t):
            docs(t.docs)
            let inherits = t.inherits.isEmpty ? "" : ": " + t.inherits.joined(separator: ", ")
            if t.members.isEmpty {
                emit("\(t.keyword) \(t.name)\(inherits) {}")
                return
            }
            emit("\(t.keyword) \(t.name)\(inherits) {")
            depth += 1
            var previous: SwiftDecl?
            for member in t.members {
                if let previous, !SwiftRenderer.groups(previous, member) { emit("") }
                render(member)
                previous = member
            }
            depth -= 1
            emit("}")
        case .function(let d, let head, let body):
            docs(d)
            guard let body else {
                emit(head)
                return
            }
            if body.isEmpty {
                emit(head + " {}")
                return
            }
            emit(head + " {")
            statements(body)
            emit("}")
        case .property(let d, let head, let accessors):
            docs(d)
            guard let accessors else {
                emit(head)
                return
            }
            emit(head + " {")
            statements(accessors)
            emit("}")
        case .enumCase(let d, let text):
            docs(d)
            emit("case " + text)
        case .typealias(let d, let head):
            docs(d)
            emit(head)
        }
    }

    /// Consecutive undocumented stored properties and enum cases stay together.
    static func groups(_ a: SwiftDecl, _ b: SwiftDecl) -> Bool {
        switch (a, b) {
        case (.enumCase, .enumCase(let d, _)): d.isEmpty
        case (.property(_, _, nil), .property(let d, _, nil)): d.isEmpty
        default: false
        }
    }

    mutating func statements(_ body: [SwiftStatement]) {
        depth += 1
        for s in body { statement(s) }
        depth -= 1
    }

    mutating func statement(_ s: SwiftStatement) {
        switch s {
        case .line(let text):
            emit(text)
        case .blank:
            emit("")
        case .block(let head, let body):
            emit(head + " {")
            statements(body)
            emit("}")
        case .closure(let head, let body, let tail):
            emit(head)
            statements(body)
            emit("}" + tail)
        case .chain(let parts):
            for (i, part) in parts.enumerated() {
                emit(i == 0 ? part.head + " {" : "} " + part.head + " {")
                statements(part.body)
            }
            emit("}")
        case .switch(let subject, let cases):
            emit("switch \(subject) {")
            for c in cases {
                // A case with one short statement stays on one line.
                if c.body.count == 1, case .line(let text) = c.body[0],
                   (depth * 4 + c.label.count + 1 + text.count) <= SwiftRenderer.inlineCaseWidth {
                    emit(c.label + " " + text)
                    continue
                }
                emit(c.label)
                statements(c.body)
            }
            emit("}")
        }
    }
}
