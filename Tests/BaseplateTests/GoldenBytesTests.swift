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

/// Both readers refuse structs nested beyond 64 levels with an error, not a stack overflow.
@Suite struct NestingLimitTests {
    /// Depth structs, each field 1 holding the next; returns how deep the reader got.
    func nested<R: ThriftReader>(_ r: inout R, depth: Int = 0) throws -> Int {
        try r.readStructBegin()
        var deepest = depth
        while true {
            let f = try r.readFieldBegin()
            if f.type == .stop { break }
            deepest = try nested(&r, depth: depth + 1)
            try r.readFieldEnd()
        }
        try r.readStructEnd()
        return deepest
    }

    func bytes<W: ThriftWriter>(_ w: inout W, levels: Int) {
        for _ in 0..<levels {
            w.writeStructBegin(name: "n")
            w.writeFieldBegin(name: "f", type: .struct, id: 1)
        }
        w.writeStructBegin(name: "n")
        w.writeFieldStop()
        w.writeStructEnd()
        for _ in 0..<levels {
            w.writeFieldEnd()
            w.writeFieldStop()
            w.writeStructEnd()
        }
    }

    @Test func binary() throws {
        var ok = BinaryWriter()
        bytes(&ok, levels: 63)
        #expect(try ok.bytes.withUnsafeBytes { var r = BinaryReader($0); return try nested(&r) } == 63)
        var deep = BinaryWriter()
        bytes(&deep, levels: 64)
        #expect(throws: ThriftProtocolError.self) {
            try deep.bytes.withUnsafeBytes { var r = BinaryReader($0); return try nested(&r) }
        }
    }

    @Test func compact() throws {
        var ok = CompactWriter()
        bytes(&ok, levels: 63)
        #expect(try ok.bytes.withUnsafeBytes { var r = CompactReader($0); return try nested(&r) } == 63)
        var deep = CompactWriter()
        bytes(&deep, levels: 64)
        #expect(throws: ThriftProtocolError.self) {
            try deep.bytes.withUnsafeBytes { var r = CompactReader($0); return try nested(&r) }
        }
    }
}
