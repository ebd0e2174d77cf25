import Baseplate
import CodegenFixture
import CodegenFixtureBase
import Testing

/// Generated types (Tests/CodegenFixtures/Everything/everything.thrift, compiled by the plugin):
/// values, defaults, constants, and both protocols.
@Suite struct RoundTripTests {
    static let uuid = UUIDBytes(high: 0x0011_2233_4455_6677, low: 0x8899_aabb_ccdd_eeff)

    static let primitives = Primitives(
        flag: true, tiny: -1, small: 127, shortValue: -32768, intValue: .max, longValue: .min, ratio: -0.5,
        text: "h\u{E9}llo", blob: [0, 255, 128], id: uuid, at: 1_700_000_000_000, label: "l")

    static let containers = Containers(
        matrix: [[1, 2], [], [-3]],
        ids: [3, 1, 2],
        groups: ["b": ["y", "x"], "a": []],
        statuses: [.active, .unrecognized(42), .default],
        points: [.deleted: Shared.Point(x: 1, y: 2), .active: Shared.Point(x: -1, y: 0)],
        pointSet: [Shared.Point(x: 2, y: 0), Shared.Point(x: 1, y: 5), Shared.Point(x: 1, y: 4)],
        listKeys: [[2]: "two", [1, 1]: "ones", []: "none"],
        blobs: [[1], [], [255]],
        bools: [true, false],
        byDouble: [2.5: uuid, -1: UUIDBytes(high: 0, low: 1)],
        deep: [["k": [Shared.Point(x: 9, y: 9)]], [:]],
        byBytes: [[0xff]: -1, [0x00, 0x01]: 1],
        uuids: [uuid, UUIDBytes(high: 1, low: 0)],
        path: [Shared.Point(x: 0, y: 0)],
        shapes: ["c": .circle(Circle(radius: 1)), "n": .named("x")])

    @Test func valuesRoundTrip() throws {
        try expectRoundTrip(Self.primitives)
        try expectRoundTrip(Primitives())
        try expectRoundTrip(Self.containers)
        try expectRoundTrip(Containers())
        try expectRoundTrip(Defaults())
        try expectRoundTrip(Defaults(label: nil, status: .unrecognized(-5), where: Shared.Point()))
        try expectRoundTrip(Keywords(class: "c", in: 1, self_: true, protocol: "p", hashValue_: 5, type: "t", default: 7,
                                     reader: "r", writer: "w", field: 9))
        try expectRoundTrip(ImplicitIds(first: 1, second: "2"))
        try expectRoundTrip(Annotated(x: 1, names: ["a"], legacy: 3))
        try expectRoundTrip(NotFound(key: "k", code: 4))
        try expectRoundTrip(CodegenFixtureError(message: "m"))
        try expectRoundTrip(NoZero(shape: .rect(Rect(width: 1, height: 2)), inner: WithRequired(name: "n", values: [1]), plain: 3))
        try expectRoundTrip(NoZero())
        try expectRoundTrip(Shared.Point(x: -7, y: 7))
        try expectRoundTrip(Origin(host: "h", port: 80))
    }

    @Test func recursiveTypes() throws {
        let tree = Tree(label: "root", children: [Tree(label: "a", children: [Tree(label: "a1")]), Tree(label: "b")])
        try expectRoundTrip(tree)
        let list = Node(value: 1, next: Node(value: 2, next: Node(value: 3)))
        try expectRoundTrip(list)
        try expectRoundTrip(Ping(pong: Pong(ping: Ping(pong: Pong(), count: 2)), count: 1))
        let expr = Expr.sum(Sum(left: .literal(1), right: .negate(.sum(Sum(left: .literal(2), right: .literal(3))))))
        try expectRoundTrip(expr)
        try expectRoundTrip(Shape.named("n"))
    }

    @Test func boxedStructsKeepValueSemantics() {
        let original = Node(value: 1, next: Node(value: 2))
        var copy = original
        copy.value = 10
        copy.next?.value = 20
        #expect(original.value == 1)
        #expect(original.next?.value == 2)
        #expect(copy.value == 10)
        #expect(copy.next?.value == 20)
        #expect(copy != original)
        #expect(Set([original, original, copy]).count == 2)
    }

    @Test func defaultsAreApplied() throws {
        let d = Defaults()
        #expect(d.count == 7)
        #expect(d.label == "none")
        #expect(d.status == .active)
        #expect(d.names == ["a", "b"])
        #expect(d.lookup == [1: "one", 2: "two"])
        #expect(d.scale == 2)
        #expect(d.where == Shared.Point(x: 1, y: 2))
        #expect(d.at == 0)
        #expect(d.plain == .unknown)
        #expect(d.ids == [1, 2, 3])
        #expect(d.token == Self.uuid)
        #expect(d.bytes == Array("abc".utf8))
        #expect(d.on)
        #expect(d.aliased == .deleted)
        // Decoding applies defaults to absent fields of default requiredness; absent optional fields
        // stay unset, as on the wire.
        let onlyStatus = binaryBytes { w in
            w.writeFieldBegin(name: "status", type: .i32, id: 3)
            w.writeI32(2)
            w.writeFieldStop()
        }
        let decoded = try decode(Defaults.self, onlyStatus, .binary)
        #expect(decoded.status == .suspended)
        #expect(decoded.count == 7)
        #expect(decoded.label == nil)
        #expect(decoded.where == Shared.Point(x: 1, y: 2))
    }

    @Test func constants() {
        typealias C = CodegenFixtureConstants
        #expect(C.maxItems == 100)
        #expect(C.pi == 3.14159)
        #expect(C.one == 1.0)
        #expect(C.greeting == "hello \"world\"\n\ttab 'single' \\ done")
        #expect(C.singleQuoted == "it's \"quoted\"")
        #expect(C.magic == Array("abc".utf8))
        #expect(C.enabled && !C.disabled)
        #expect(C.smallest == -128)
        #expect(C.biggestShort == 32767)
        #expect(C.minLong == .min)
        #expect(C.hexNegative == -16)
        #expect(C.exponent == 1500)
        #expect(C.negativeFraction == -0.25)
        #expect(C.primes == [2, 3, 5, 7])
        #expect(C.tags == ["a", "b"])
        #expect(C.nested == ["x": [1, 2], "y": []])
        #expect(C.emptyMap.isEmpty)
        #expect(C.defaultStatus == .active)
        #expect(C.activeCode == 1)
        #expect(C.aliasOfMax == 100)
        #expect(C.widened == Int64(100))
        #expect(C.origin == Shared.Point())
        #expect(C.primary == .red)
        #expect(C.epoch == 0)
        #expect(C.someId == Self.uuid)
        #expect(C.unitCircle == .circle(Circle(radius: 1)))
        #expect(C.customDefaults == Defaults(count: 3, status: .suspended, names: []))
        #expect(C.path == [Shared.Point(x: 1, y: 2), Shared.Point()])
        #expect(Shared.SharedConstants.unitX == Shared.Point(x: 1, y: 0))
        #expect(Shared.SharedConstants.favourite == .green)
    }

    @Test func enumsKeepUnknownValues() throws {
        #expect(Status(rawValue: 0) == .unknown)
        #expect(Status(rawValue: 10) == .default)
        #expect(Status(rawValue: 1) == .active)  // RETIRED = 1 too: the first name wins when decoding
        #expect(Status.retired.rawValue == 1)
        #expect(Status(rawValue: -1) == .deleted)
        #expect(Status(rawValue: 77) == .unrecognized(77))
        #expect(Status.unrecognized(77).rawValue == 77)
        #expect(Nothing(rawValue: 3) == .unknown(3))
        try expectRoundTrip(Containers(statuses: [.unrecognized(-9)]))
    }

    @Test func exceptionsAreSwiftErrors() {
        let error: any Swift.Error = CodegenFixtureError(message: "m")
        #expect(error as? CodegenFixtureError == CodegenFixtureError(message: "m"))
        let notFound: any Swift.Error = NotFound(key: "k")
        #expect((notFound as? NotFound)?.key == "k")
    }

    @Test func setsAndMapsAreWrittenInSortedOrder() throws {
        // C++'s std::set and std::map order: numbers by value, strings by bytes, enums by value,
        // false before true; struct and container keys by their binary encoding.
        var expected = binaryBytes { w in
            w.writeFieldBegin(name: "ids", type: .set, id: 2)
            w.writeSetBegin(ListHeader(elementType: .i64, count: 3))
            for v: Int64 in [1, 2, 3] { w.writeI64(v) }
            w.writeFieldEnd()
        }
        var bytes = encode(Containers(ids: [3, 1, 2]), .binary)
        #expect(bytes.starts(with: binaryBytes { w in
            w.writeFieldBegin(name: "matrix", type: .list, id: 1)
            w.writeListBegin(ListHeader(elementType: .list, count: 0))
        } + expected))
        expected = binaryBytes { w in
            w.writeMapBegin(MapHeader(keyType: .string, valueType: .set, count: 3))
            for key in ["B", "a", "\u{E4}"] {
                w.writeString(key)
                w.writeSetBegin(ListHeader(elementType: .string, count: 0))
            }
        }
        bytes = encode(Containers(groups: ["\u{E4}": [], "a": [], "B": []]), .binary)
        #expect(bytes.firstRange(of: expected) != nil)
        // Struct elements, by encoding: (1, 4) < (1, 5) < (2, 0).
        expected = binaryBytes { w in
            w.writeSetBegin(ListHeader(elementType: .struct, count: 3))
            for (x, y): (Int32, Int32) in [(1, 4), (1, 5), (2, 0)] { Shared.Point(x: x, y: y).write(to: &w) }
        }
        bytes = encode(Containers(pointSet: [Shared.Point(x: 2, y: 0), Shared.Point(x: 1, y: 5), Shared.Point(x: 1, y: 4)]), .binary)
        #expect(bytes.firstRange(of: expected) != nil)
        // Deterministic: the same value always gives the same bytes, however it was built.
        let a = Containers(bools: [true, false], byDouble: [2: Self.uuid, 1: Self.uuid])
        let b = Containers(bools: [false, true], byDouble: [1: Self.uuid, 2: Self.uuid])
        #expect(encode(a, .compact) == encode(b, .compact))
    }

    @Test func unknownAndMistypedFieldsAreSkipped() throws {
        let bytes = binaryBytes { w in
            w.writeFieldBegin(name: "x", type: .string, id: 1)  // radius is a double: skipped
            w.writeString("not a double")
            w.writeFieldBegin(name: "y", type: .map, id: 99)
            w.writeMapBegin(MapHeader(keyType: .i32, valueType: .list, count: 1))
            w.writeI32(1)
            w.writeListBegin(ListHeader(elementType: .struct, count: 1))
            w.writeFieldBegin(name: "z", type: .uuid, id: 3)
            w.writeUUID(Self.uuid)
            w.writeFieldStop()
            w.writeFieldBegin(name: "r", type: .double, id: 1)
            w.writeDouble(4.5)
            w.writeFieldStop()
        }
        #expect(try decode(Circle.self, bytes, .binary) == Circle(radius: 4.5))
    }

    @Test func malformedInputIsAnError() throws {
        let empty = binaryBytes { $0.writeFieldStop() }
        #expect(decodingError(Node.self, empty)?.message == "Node: required field 'value' (id 1) is missing")
        #expect(decodingError(Shape.self, empty)?.message == "Shape: no field is set")
        #expect(decodingError(Sum.self, binaryBytes { w in
            w.writeFieldBegin(name: "left", type: .struct, id: 1)
            w.writeFieldStop()  // an empty union: no value, so the required field is missing
            w.writeFieldStop()
        })?.message == "Sum: required field 'left' (id 1) is missing")
        let two = binaryBytes { w in
            w.writeFieldBegin(name: "named", type: .string, id: 3)
            w.writeString("a")
            w.writeFieldBegin(name: "named", type: .string, id: 3)
            w.writeString("b")
            w.writeFieldStop()
        }
        #expect(decodingError(Shape.self, two)?.message == "Shape: more than one field is set")
        let wrongElements = binaryBytes { w in
            w.writeFieldBegin(name: "ids", type: .set, id: 2)
            w.writeSetBegin(ListHeader(elementType: .string, count: 1))
            w.writeString("x")
            w.writeFieldStop()
        }
        #expect(decodingError(Containers.self, wrongElements)?.message == "unexpected element type in set<i64>")
        #expect(decodingError(Containers.self, Array(encode(Self.containers, .compact).dropLast(3)), .compact) != nil)
        // A union field nobody set (C++ writes an empty struct for it) reads as no value.
        let emptyUnion = binaryBytes { w in
            w.writeFieldBegin(name: "shape", type: .struct, id: 1)
            w.writeFieldStop()
            w.writeFieldStop()
        }
        #expect(try decode(NoZero.self, emptyUnion, .binary) == NoZero())
    }

    @Test(arguments: [ThriftProtocolKind.binary, .compact])
    func recursionIsBounded(_ kind: ThriftProtocolKind) throws {
        func chain(_ n: Int) -> Node { (1..<n).reduce(Node(value: 0)) { Node(value: Int32($1), next: $0) } }
        #expect(try decode(Node.self, encode(chain(50), kind), kind) == chain(50))
        let error = decodingError(Node.self, encode(chain(200), kind), kind)
        #expect(error?.kind == .depthLimit)
        var tree = Tree(label: "leaf")
        for _ in 0..<100 { tree = Tree(label: "n", children: [tree]) }
        #expect(decodingError(Tree.self, encode(tree, kind), kind)?.kind == .depthLimit)
        var expr = Expr.literal(1)
        for _ in 0..<100 { expr = .negate(expr) }
        #expect(decodingError(Expr.self, encode(expr, kind), kind)?.kind == .depthLimit)
    }

    @Test func implicitFieldIdsAreNegative() {
        let expected = binaryBytes { w in
            w.writeFieldBegin(name: "first", type: .i32, id: -1)
            w.writeI32(1)
            w.writeFieldBegin(name: "second", type: .string, id: -2)
            w.writeString("2")
            w.writeFieldStop()
        }
        #expect(encode(ImplicitIds(first: 1, second: "2"), .binary) == expected)
    }
}
