import Testing
@testable import ThriftCodegen

/// The first stage: tokens and the parse tree.
@Suite struct SyntaxTests {
    @Test func tokens() throws {
        let tokens = try Lexer.tokenize("""
            // line comment
            # hash comment
            /* block */ const i64 X = -0x10 /** doc */ 1.5e3 'q\\'s' "a\\tb" foo.Bar & ;
            """, file: "t.thrift")
        let kinds = tokens.map(\.kind)
        #expect(kinds == [
            .identifier("const"), .identifier("i64"), .identifier("X"), .symbol("="), .integer(-16), .double(1500),
            .string("q's"), .string("a\tb"), .identifier("foo.Bar"), .symbol("&"), .symbol(";"), .end,
        ])
        #expect(tokens[0].location == SourceLocation(file: "t.thrift", line: 3, column: 13))
        #expect(tokens[5].doc == "doc")
        #expect(tokens[4].doc == nil)
    }

    @Test func integerLimits() throws {
        #expect(try Lexer.tokenize("-9223372036854775808", file: "t")[0].kind == .integer(Int64.min))
        #expect(try Lexer.tokenize("9223372036854775807", file: "t")[0].kind == .integer(Int64.max))
        #expect(throws: ThriftCodegenError.self) { try Lexer.tokenize("9223372036854775808", file: "t") }
    }

    @Test func docCommentsAreCleaned() throws {
        let tokens = try Lexer.tokenize("""
            /**
             * First line.
             *
             *   Indented.
             */
            struct A {}
            """, file: "t")
        #expect(tokens[0].doc == "First line.\n\n  Indented.")
    }

    @Test func parsesEveryDefinitionKind() throws {
        let document = try Parser.parse("""
            include "other.thrift"
            cpp_include "<map>"
            namespace swift Mod
            namespace * all
            typedef map<string, list<i32>> (a = "b") Lookup
            const Lookup L = {"k": [1, 2]}
            /** E. */
            enum E { A, B = 5 (x), C }
            struct S { 1: required i32 a = 1, 2: optional S& next, i32 implicit (k = "v"); } (final)
            union U { 1: i32 n, 2: string s }
            exception X { 1: string why }
            service P {}
            service Q extends P {
                /** f. */
                oneway void f(1: i32 a),
                list<S> g() throws (1: X x),
            }
            """, file: "t.thrift")
        #expect(document.includes.map(\.path) == ["other.thrift"])
        #expect(document.namespaces.map { "\($0.scope)=\($0.name)" } == ["swift=Mod", "*=all"])
        #expect(document.definitions.map(\.name) == ["Lookup", "L", "E", "S", "U", "X", "P", "Q"])
        guard case .enum(_, let values, _, let doc, _) = document.definitions[2] else {
            Issue.record("not an enum")
            return
        }
        #expect(doc == "E.")
        #expect(values.map(\.name) == ["A", "B", "C"])
        #expect(values.map(\.value) == [nil, 5, nil])
        guard case .struct(.struct, _, let fields, let annotations, _, _) = document.definitions[3] else {
            Issue.record("not a struct")
            return
        }
        #expect(fields.map(\.id) == [1, 2, nil])
        #expect(fields.map(\.requiredness) == [.required, .optional, .default])
        #expect(fields[1].isReference)
        #expect(fields[2].annotations == [Annotation(key: "k", value: "v")])
        #expect(annotations == [Annotation(key: "final", value: nil)])
        guard case .service(_, let extends, _, let functions, _, _, _) = document.definitions[7] else {
            Issue.record("not a service")
            return
        }
        #expect(extends == "P")
        #expect(functions.map(\.isOneway) == [true, false])
        #expect(functions[0].returnType == nil)
        #expect(functions[0].doc == "f.")
        #expect(functions[1].exceptions.map(\.name) == ["x"])
    }

    @Test func constValues() throws {
        let document = try Parser.parse("const list<map<string, double>> X = [{\"a\": 1, 'b': -2.5}, {}] ;", file: "t")
        guard case .const(_, _, .list(let items, _), _, _) = document.definitions[0],
              case .map(let entries, _) = items[0] else {
            Issue.record("unexpected shape")
            return
        }
        #expect(items.count == 2)
        #expect(entries.map(\.key) == [.string("a", entries[0].key.location), .string("b", entries[1].key.location)])
        #expect(entries[1].value == .double(-2.5, entries[1].value.location))
    }
}
