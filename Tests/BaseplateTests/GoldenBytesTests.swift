import Baseplate
import Testing
import TestSupport

/// Our binary and compact encodings against the bytes Debian's libthrift 0.17 C++ writes for
/// the same calls (Tests/Peers/golden.cpp, run during the test), in both directions: our writer
/// must produce C++'s bytes, and our reader must find in C++'s bytes the values the case wrote.
@Suite struct GoldenBytesTests {
    static let golden: [String: [UInt8]] = (try? Peers.golden()) ?? [:]

    @Test func peerProducedCases() {
        #expect(Self.golden.count >= 30, "golden peer missing or empty: run `make peers`")
    }

    @Test(arguments: GoldenCase.allCases)
    func binary(_ c: GoldenCase) throws {
        let expected = try #require(Self.golden["binary.\(c.rawValue)"])
        var w = BinaryWriter()
        c.write(&w)
        #expect(hex(w.bytes) == hex(expected))
        try checkRead(c, expected) { BinaryReader($0) }
    }

    @Test(arguments: GoldenCase.allCases)
    func compact(_ c: GoldenCase) throws {
        let expected = try #require(Self.golden["compact.\(c.rawValue)"])
        var w = CompactWriter()
        c.write(&w)
        #expect(hex(w.bytes) == hex(expected))
        try checkRead(c, expected) { CompactReader($0) }
    }

    /// TApplicationException numbering as C++ (8 = INVALID_TRANSFORM, 9 = INVALID_PROTOCOL).
    @Test(arguments: 0...10)
    func applicationExceptionCodes(_ code: Int32) throws {
        let expected = try #require(Self.golden["tapp.\(code)"])
        var w = BinaryWriter()
        TApplicationException(.init(rawValue: code), "m").write(to: &w)
        #expect(w.bytes == expected)
        let decoded = try expected.withUnsafeBytes { raw in
            var r = BinaryReader(raw)
            return try TApplicationException(from: &r)
        }
        #expect(decoded == TApplicationException(.init(rawValue: code), "m"))
    }

    @Test func namedCodesMatchCpp() {
        #expect(TApplicationException.Code.invalidTransform.rawValue == 8)
        #expect(TApplicationException.Code.invalidProtocol.rawValue == 9)
        #expect(TApplicationException.Code.internalError.rawValue == 6)
        #expect(TApplicationException.Code.unknownMethod.rawValue == 1)
    }

    private func checkRead<R: ThriftReader>(
        _ c: GoldenCase, _ bytes: [UInt8], _ make: (UnsafeRawBufferPointer) -> R
    ) throws {
        var meant = DescribingWriter()
        c.write(&meant)
        let found = try bytes.withUnsafeBytes { raw in
            var r = make(raw)
            return try GoldenCase.describe(&r, isMessage: c.isMessage)
        }
        #expect(found == meant.text)
    }
}
