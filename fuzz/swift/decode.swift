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
    // C++ always writes the message, so an absent one comes back empty: equal as nil == "".
    check(TApplicationException.self) { TApplicationException($0.code, $0.message ?? "") },
    checkMessage,
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

func check<T: ThriftStruct & Equatable>(
    _: T.Type, normalized: @escaping (T) -> T = { $0 }
) -> (UnsafeRawBufferPointer, Bool) -> Void {
    { bytes, compact in
        guard let value = decode(T.self, bytes, compact: compact).map(normalized) else { return }
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

/// A message header (strict or old binary form, compact) before the arguments, as a server
/// reads a request: the header must survive a round trip too.
func checkMessage(_ bytes: UnsafeRawBufferPointer, compact: Bool) {
    func read<R: ThriftReader>(_ reader: inout R) -> (MessageHeader, CrossLang.Everything)? {
        guard let header = try? reader.readMessageBegin(), let body = try? CrossLang.Everything(from: &reader)
        else { return nil }
        return (header, body)
    }
    func decode(_ bytes: UnsafeRawBufferPointer, compact: Bool) -> (MessageHeader, CrossLang.Everything)? {
        if compact {
            var reader = CompactReader(bytes)
            return read(&reader)
        }
        var reader = BinaryReader(bytes)
        return read(&reader)
    }
    guard let (header, body) = decode(bytes, compact: compact) else { return }
    var encoded: [UInt8]
    if compact {
        var writer = CompactWriter()
        writer.writeMessageBegin(header)
        body.write(to: &writer)
        encoded = writer.bytes
    } else {
        var writer = BinaryWriter()
        writer.writeMessageBegin(header)
        body.write(to: &writer)
        encoded = writer.bytes
    }
    guard let (again, _) = encoded.withUnsafeBytes({ decode($0, compact: compact) }) else {
        fatalError("message decoded, but its encoding does not: \(encoded)")
    }
    if again != header { fatalError("message header changed in a round trip: \(header) -> \(again)") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let selector = Int(data[0])
    let rest = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    targets[(selector >> 1) % targets.count](rest, selector & 1 == 1)
    return 0
}
