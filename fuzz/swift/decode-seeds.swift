// Writes the decode target's seed corpus (fuzz/corpus/decode): sample values of the generated
// types, encoded in both protocols, each behind the selector byte decode.swift reads. Run by hand
// after changing the type list: `fuzz/run --seeds-decode` (see fuzz/README.md).
import Baseplate
import Foundation

typealias Fixture = CodegenFixture

let uuid = UUIDBytes(high: 0x0011_2233_4455_6677, low: 0x8899_aabb_ccdd_eeff)
let scalars = CrossLang.Scalars(
    flag: true, tiny: -5, small: -300, medium: 70000, big: -5_000_000_000, ratio: 2.5, text: "h\u{E9}llo",
    blob: [0x00, 0xff], maybe: 7, name: "n", color: .green)

// (index in decode.swift's `targets`, value)
let samples: [(Int, any ThriftStruct)] = [
    (0, Fixture.Primitives(
        flag: true, tiny: -1, small: 127, shortValue: -32768, intValue: .max, longValue: .min, ratio: -0.5,
        text: "h\u{E9}llo", blob: [0, 255, 128], id: uuid, at: 1_700_000_000_000, label: "l")),
    (1, Fixture.Defaults()),
    (2, Fixture.Containers(
        matrix: [[1, 2], [], [-3]], ids: [3, 1, 2], groups: ["b": ["y", "x"], "a": []],
        statuses: [.active, .unrecognized(42)], points: [.deleted: Shared.Point(x: 1, y: 2)],
        pointSet: [Shared.Point(x: 2, y: 0)], listKeys: [[2]: "two", []: "none"], blobs: [[1], []],
        bools: [true, false], byDouble: [2.5: uuid], deep: [["k": [Shared.Point(x: 9, y: 9)]], [:]],
        byBytes: [[0xff]: -1], uuids: [uuid], path: [Shared.Point(x: 0, y: 0)],
        shapes: ["c": .circle(Fixture.Circle(radius: 1)), "n": .named("x")])),
    (4, Fixture.Tree(label: "root", children: [Fixture.Tree(label: "a", children: [Fixture.Tree(label: "a1")])])),
    (5, Fixture.Node(value: 1, next: Fixture.Node(value: 2, next: Fixture.Node(value: 3)))),
    (6, Fixture.Ping(pong: Fixture.Pong(ping: Fixture.Ping(pong: Fixture.Pong(), count: 2)), count: 1)),
    (9, Fixture.Expr.sum(Fixture.Sum(left: .literal(1), right: .negate(.literal(2))))),
    (12, Fixture.NoZero(shape: .rect(Fixture.Rect(width: 1, height: 2)),
                        inner: Fixture.WithRequired(name: "n", values: [1]), plain: 3)),
    (19, scalars),
    (20, CrossLang.Collections(
        numbers: [1, -1, 300], words: ["b", "a"], counts: ["z": 1], flags: [true], nested: [3: ["x"]],
        grid: [[1], []], ids: [5, -1], byColor: [.blue: .init(id: 1, label: "one")],
        inners: [.init(id: 1, label: "a")], emptyMap: [:], reals: [2.5], blobs: [[1, 2]], byBool: [true: 5])),
    (23, CrossLang.Everything(
        scalars: scalars, collections: .init(numbers: [1]), choice: .inner(.init(id: 3, label: "c")),
        failure: .init(reason: "f", code: 1), choices: [.number(1), .text("two")], inner: .init(id: 5, label: "i"))),
    (24, TApplicationException(.unknownMethod, "Unknown function foo")),
]

/// The message target (index 25): a CALL header, then a CrossLang.Everything.
func message(compact: Bool) -> [UInt8] {
    let header = MessageHeader(name: "everything", type: .call, sequenceID: 7)
    let body = CrossLang.Everything(scalars: scalars)
    if compact {
        var writer = CompactWriter()
        writer.writeMessageBegin(header)
        body.write(to: &writer)
        return writer.bytes
    }
    var writer = BinaryWriter()
    writer.writeMessageBegin(header)
    body.write(to: &writer)
    return writer.bytes
}

func encoded(_ value: some ThriftStruct, compact: Bool) -> [UInt8] {
    if compact {
        var writer = CompactWriter()
        value.write(to: &writer)
        return writer.bytes
    }
    var writer = BinaryWriter()
    value.write(to: &writer)
    return writer.bytes
}

@main enum DecodeSeeds {
    static func main() {
        let directory = CommandLine.arguments[1]
        for (index, value) in samples {
            for compact in [false, true] {
                let bytes = [UInt8(index << 1 | (compact ? 1 : 0))] + encoded(value, compact: compact)
                write("\(type(of: value)).\(compact ? "compact" : "binary")", bytes)
            }
        }
        for compact in [false, true] {
            write("message.\(compact ? "compact" : "binary")", [UInt8(25 << 1 | (compact ? 1 : 0))] + message(compact: compact))
        }
        func write(_ name: String, _ bytes: [UInt8]) {
            guard FileManager.default.createFile(atPath: "\(directory)/\(name)", contents: Data(bytes)) else {
                fatalError("cannot write \(directory)/\(name)")
            }
        }
    }
}
