import Testing
@testable import ThriftCodegen

/// The second stage: names resolved, ids assigned, constants typed.
@Suite struct ModelTests {
    static func model(_ files: [String: String], roots: [String] = ["main.thrift"], includePaths: [String] = []) throws -> Model {
        try Resolver.resolve(paths: roots, includePaths: includePaths, fileSystem: MemoryFileSystem(files))
    }

    @Test func includesResolveThroughSearchPaths() throws {
        let m = try Self.model([
            "main.thrift": "include \"lib.thrift\"\nstruct A { 1: lib.B b, 2: lib.T t }",
            "dir/lib.thrift": "namespace swift Lib\nstruct B {}\ntypedef B T",
        ], includePaths: ["dir"])
        let a = m.structs[DefinitionID(file: "main.thrift", name: "A")]!
        #expect(a.fields.map(\.type) == [
            .structure(DefinitionID(file: "dir/lib.thrift", name: "B")),
            .typedef(DefinitionID(file: "dir/lib.thrift", name: "T")),
        ])
        #expect(m.programs["main.thrift"]!.includes == ["dir/lib.thrift"])
        #expect(m.programs["dir/lib.thrift"]!.namespaces["swift"] == "Lib")
        #expect(m.underlying(a.fields[1].type) == a.fields[0].type)
    }

    @Test func implicitIdsAreNegativeAndEnumValuesCount() throws {
        let m = try Self.model(["main.thrift": "struct A { i32 x, i32 y, 5: i32 z }\nenum E { A, B = 10, C, D = -1, F }"])
        #expect(m.structs[DefinitionID(file: "main.thrift", name: "A")]!.fields.map(\.id) == [-1, -2, 5])
        #expect(m.enums[DefinitionID(file: "main.thrift", name: "E")]!.values.map(\.value) == [0, 10, 11, -1, 0])
    }

    @Test func constantsAreTypedAndReferencesInlined() throws {
        let m = try Self.model(["main.thrift": """
            const i32 A = 5
            const double B = A
            const list<E> C = [E.Y, 1]
            enum E { X = 1, Y = 2 }
            const S D = {"n": A, "e": E.X}
            struct S { 1: required i32 n, 2: optional E e }
            const map<string, set<i64>> M = {"k": [1, 1]}
            const uuid U = "{00112233-4455-6677-8899-AABBCCDDEEFF}"
            const bool T = true
            """])
        func value(_ name: String) -> ConstValue { m.constants[DefinitionID(file: "main.thrift", name: name)]!.value }
        let e = DefinitionID(file: "main.thrift", name: "E")
        #expect(value("B") == .double(5))
        #expect(value("C") == .list([.enumValue(e, 2), .enumValue(e, 1)]))
        #expect(value("D") == .structure(DefinitionID(file: "main.thrift", name: "S"),
                                         [.init(name: "n", value: .int(5)), .init(name: "e", value: .enumValue(e, 1))]))
        #expect(value("M") == .map([.init(key: .string("k"), value: .set([.int(1), .int(1)]))]))
        #expect(value("U") == .uuid(high: 0x0011_2233_4455_6677, low: 0x8899_aabb_ccdd_eeff))
        #expect(value("T") == .bool(true))
    }

    @Test func servicesInheritAcrossFiles() throws {
        let m = try Self.model([
            "main.thrift": "include \"base.thrift\"\nservice S extends base.B { oneway void f(), i32 g(1: i32 a) throws (1: X x) }\nexception X {}",
            "base.thrift": "service B { void ping() }",
        ])
        let s = m.services[DefinitionID(file: "main.thrift", name: "S")]!
        #expect(s.extends == DefinitionID(file: "base.thrift", name: "B"))
        #expect(s.functions.map(\.name) == ["f", "g"])
        #expect(s.functions[1].exceptions.map(\.name) == ["x"])
    }

    @Test func unionFieldsAreOptional() throws {
        let m = try Self.model(["main.thrift": "union U { 1: required i32 a, 2: string b = \"x\" }"])
        let u = m.structs[DefinitionID(file: "main.thrift", name: "U")]!
        #expect(u.fields.map(\.requiredness) == [.optional, .optional])
        #expect(u.fields[1].defaultValue == nil)
    }

    @Test func errorsNameTheirLocation() throws {
        #expect(throws: ThriftCodegenError(SourceLocation(file: "main.thrift", line: 2, column: 8), "unknown type 'Nope'")) {
            try Self.model(["main.thrift": "struct A {\n    1: Nope n }"])
        }
        #expect(throws: ThriftCodegenError(SourceLocation(file: "main.thrift", line: 2, column: 15), "a constant of type string cannot be used as i32")) {
            try Self.model(["main.thrift": "const string S = \"\"\nconst i32 I = S"])
        }
    }
}
