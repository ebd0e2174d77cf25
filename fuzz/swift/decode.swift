// Fuzz target: binary and compact decoding of generated types (Tests/CodegenFixtures/Everything,
// types only). The first input byte picks the protocol and the type; the rest is decoded. A value
// that decodes must encode, and decode again to an equal value, in both protocols.
import Baseplate

typealias Fixture = CodegenFixture

/// One entry per type: decode, and when that works check the round trips.
let targets: [(UnsafeRawBufferPointer, Bool) -> Void] = [
    check(Fixture.Primitives.self), check(Fixture.Defaults.self), check(Fixture.Containers.self),
    check(Fixture.Keywords.self), check(Fixture.Tree.self), check(Fixture.Node.self),
    check(Fixture.Ping.self), check(Fixture.Pong.self), check(Fixture.Shape.self),
    check(Fixture.Expr.self), check(Fixture.Sum.self), check(Fixture.WithRequired.self),
    check(Fixture.NoZero.self), check(Fixture.ImplicitIds.self), check(Fixture.Annotated.self),
    check(Fixture.NotFound.self), check(Fixture.Error.self), check(Shared.Point.self),
    check(CodegenFixtureBase.Origin.self), check(CrossLang.Scalars.self), check(CrossLang.Collections.self),
    check(CrossLang.Choice.self), check(CrossLang.Failure.self), check(CrossLang.Everything.self),
]

func decode<T: ThriftStruct>(_: T.Type, _ bytes: UnsafeRawBufferPointer, compact: Bool) -> T? {
    if compact {
        var reader = CompactReader(bytes)
        return try? T(from: &reader)
    }
    var reader = BinaryReader(bytes)
    return try? T(from: &reader)
}

func encode(_ value: some ThriftStruct, compact: Bool) -> [UInt8] {
    if compact {
        var writer = CompactWriter()
        value.write(to: &writer)
        return writer.bytes
    }
    var writer = BinaryWriter()
    value.write(to: &writer)
    return writer.bytes
}

func check<T: ThriftStruct & Hashable>(_: T.Type) -> (UnsafeRawBufferPointer, Bool) -> Void {
    { bytes, compact in
        guard let value = decode(T.self, bytes, compact: compact) else { return }
        for target in [compact, !compact] {
            let encoded = encode(value, compact: target)
            guard let again = encoded.withUnsafeBytes({ decode(T.self, $0, compact: target) }),
                let twin = encoded.withUnsafeBytes({ decode(T.self, $0, compact: target) })
            else {
                fatalError("\(T.self) decoded, but its encoding (compact: \(target)) does not: \(encoded)")
            }
            // A NaN makes a value unequal to an equal copy (two separate decodes tell; comparing a
            // value with itself may short-cut on shared storage); such values only have to decode.
            if again == twin && again != value {
                fatalError("\(T.self) changed in a round trip (compact: \(target)): \(value) -> \(again)")
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let selector = Int(data[0])
    let rest = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    targets[(selector >> 1) % targets.count](rest, selector & 1 == 1)
    return 0
}
