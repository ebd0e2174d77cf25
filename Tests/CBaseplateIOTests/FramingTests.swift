import CBaseplateIO
import Testing
import TestSupport

/// Dialect detection, THeader parsing and writing, zlib, and unframed message lengths, against
/// frames written by Debian's libthrift C++ during the test.
@Suite struct FramingTests {
    static let golden: [String: [UInt8]] = (try? Peers.golden()) ?? [:]

    func golden(_ name: String) throws -> [UInt8] {
        try #require(Self.golden[name], "golden case \(name) missing: run `make peers`")
    }

    func detect(_ bytes: [UInt8]) -> (bpio_status, bpio_dialect) {
        var d = BPIO_DIALECT_UNKNOWN
        let st = bytes.withUnsafeBufferPointer { bpio_detect_dialect($0.baseAddress, $0.count, &d) }
        return (st, d)
    }

    @Test func detectsEveryDialect() throws {
        #expect(detect(try golden("theader.compact_ua")) == (BPIO_OK, BPIO_DIALECT_HEADER))
        #expect(detect(try golden("theader.binary_ua")) == (BPIO_OK, BPIO_DIALECT_HEADER))
        #expect(detect(try golden("framed.binary")) == (BPIO_OK, BPIO_DIALECT_FRAMED_BINARY))
        #expect(detect(try golden("framed.compact")) == (BPIO_OK, BPIO_DIALECT_FRAMED_COMPACT))
        #expect(detect(try golden("binary.msg_call")) == (BPIO_OK, BPIO_DIALECT_UNFRAMED_BINARY))
        #expect(detect(try golden("compact.msg_call")) == (BPIO_OK, BPIO_DIALECT_UNFRAMED_COMPACT))
    }

    @Test func detectionNeedsEnoughBytesAndRejectsGarbage() {
        #expect(detect([0x00, 0x00]).0 == BPIO_NEED_MORE)
        #expect(detect([0x00, 0x00, 0x00, 0x20, 0x0f]).0 == BPIO_NEED_MORE)
        #expect(detect(Array("GET / HTTP/1.1\r\n\r\n".utf8)).0 == BPIO_ERROR)
        #expect(detect([0x00, 0x00, 0x00, 0x08, 0xde, 0xad, 0xbe, 0xef]).0 == BPIO_ERROR)
        #expect(detect([0x7f, 0xff, 0xff, 0xff, 0x0f, 0xff, 0, 0]).0 == BPIO_ERROR)  // > 0x3FFFFFFF
    }

    struct Parsed {
        var status: bpio_status
        var protocolID: Int
        var zlib: Bool
        var flags: UInt16
        var seqid: Int32
        var headers: [(String, String)]
        var payload: [UInt8]
        var error: String
    }

    func parse(_ frame: [UInt8]) -> Parsed {
        var headers = [bpio_header](repeating: bpio_header(), count: Int(BPIO_MAX_HEADERS))
        var f = bpio_frame()
        var why: UnsafePointer<CChar>?
        let body = Array(frame.dropFirst(4))
        return body.withUnsafeBufferPointer { b in
            let st = bpio_theader_parse(b.baseAddress, b.count, &headers, &f, &why)
            var hs: [(String, String)] = []
            for i in 0..<Int(st == BPIO_OK ? f.header_count : 0) {
                let h = headers[i]
                hs.append((String(decoding: UnsafeBufferPointer(start: h.key, count: Int(h.key_len)), as: UTF8.self),
                           String(decoding: UnsafeBufferPointer(start: h.value, count: Int(h.value_len)), as: UTF8.self)))
            }
            let payload = st == BPIO_OK ? Array(UnsafeBufferPointer(start: f.payload, count: f.payload_len)) : []
            return Parsed(status: st, protocolID: Int(f.protocol), zlib: f.zlib != 0, flags: f.flags,
                          seqid: f.seqid, headers: hs, payload: payload,
                          error: why.map { String(cString: $0) } ?? "")
        }
    }

    @Test func parsesCppTHeaderFrames() throws {
        let ua = parse(try golden("theader.compact_ua"))
        #expect(ua.status == BPIO_OK)
        #expect(ua.protocolID == Int(BPIO_PROTOCOL_COMPACT))
        #expect(ua.headers.map { "\($0.0)=\($0.1)" } == ["User-Agent=x"])
        #expect(ua.payload == (try golden("compact.msg_call")))
        #expect(ua.seqid == 1)

        let bin = parse(try golden("theader.binary_ua"))
        #expect(bin.protocolID == Int(BPIO_PROTOCOL_BINARY))
        #expect(bin.payload == (try golden("binary.msg_call")))

        let three = parse(try golden("theader.compact_3hdrs"))
        #expect(three.headers.map { "\($0.0)=\($0.1)" } == ["Sampled=1", "Span=5678", "Trace=1234"])

        let aligned = parse(try golden("theader.aligned"))  // 4 bytes of padding, as C++ writes
        #expect(aligned.status == BPIO_OK)
        #expect(aligned.headers.map { "\($0.0)=\($0.1)" } == ["k=v"])
        #expect(aligned.payload.isEmpty)

        let flags = parse(try golden("theader.flags_seq"))
        #expect(flags.flags == 1)
        #expect(flags.seqid == 123456)
    }

    @Test func inflatesCppZlibPayload() throws {
        let z = parse(try golden("theader.zlib_compact"))
        #expect(z.status == BPIO_OK)
        #expect(z.zlib)
        var out = bpio_buf()
        defer { bpio_buf_free(&out) }
        let rc = z.payload.withUnsafeBufferPointer { bpio_zlib_inflate($0.baseAddress, $0.count, 1 << 20, &out) }
        #expect(rc == 0)
        #expect(Array(UnsafeBufferPointer(start: out.data, count: out.len)) == (try golden("compact.msg_call")))
        // A limit below the inflated size fails instead of growing.
        var small = bpio_buf()
        defer { bpio_buf_free(&small) }
        #expect(z.payload.withUnsafeBufferPointer { bpio_zlib_inflate($0.baseAddress, $0.count, 4, &small) } == -1)
        #expect(z.payload.dropLast(3).withUnsafeBufferPointer { bpio_zlib_inflate($0.baseAddress, $0.count, 1 << 20, &small) } == -1)
    }

    func write(flags: UInt16 = 0, seqid: Int32, protocol proto: Int32, zlib: Bool = false,
               headers: [(String, String)], payload: [UInt8]) -> [UInt8] {
        theaderFrame(flags: flags, seqid: seqid, protocolID: proto, zlib: zlib, headers: headers, payload: payload)
    }

    @Test func writesCppTHeaderBytes() throws {
        let call = try golden("compact.msg_call")
        let bcall = try golden("binary.msg_call")
        #expect(hex(write(seqid: 1, protocol: 2, headers: [("User-Agent", "x")], payload: call))
                == hex(try golden("theader.compact_ua")))
        #expect(hex(write(seqid: 1, protocol: 0, headers: [("User-Agent", "x")], payload: bcall))
                == hex(try golden("theader.binary_ua")))
        #expect(hex(write(seqid: 1, protocol: 2, headers: [("Sampled", "1"), ("Span", "5678"), ("Trace", "1234")], payload: call))
                == hex(try golden("theader.compact_3hdrs")))
        #expect(hex(write(seqid: 0, protocol: 2, headers: [("k", "v")], payload: []))
                == hex(try golden("theader.aligned")))
        #expect(hex(write(seqid: 1, protocol: 2, headers: [], payload: call))
                == hex(try golden("theader.noheaders_compact")))
        #expect(hex(write(seqid: 1, protocol: 0, headers: [], payload: bcall))
                == hex(try golden("theader.noheaders_binary")))
        let flagsFrame = try golden("theader.flags_seq")
        #expect(hex(write(flags: 1, seqid: 123456, protocol: 2, headers: [], payload: parse(flagsFrame).payload))
                == hex(flagsFrame))
        let reply = try golden("theader.reply_to_flags_seq")
        #expect(hex(write(flags: 1, seqid: 123456, protocol: 2, headers: [], payload: parse(reply).payload))
                == hex(reply))
        #expect(bpio_theader_reply_prefix_len(0) == 18)
    }

    @Test func deflatesAsCpp() throws {
        var z = bpio_buf()
        defer { bpio_buf_free(&z) }
        let call = try golden("compact.msg_call")
        #expect(call.withUnsafeBufferPointer { bpio_zlib_deflate($0.baseAddress, $0.count, &z) } == 0)
        let deflated = Array(UnsafeBufferPointer(start: z.data, count: z.len))
        #expect(hex(write(seqid: 1, protocol: 2, zlib: true, headers: [], payload: deflated))
                == hex(try golden("theader.zlib_compact")))
    }

    @Test func rejectsMalformedTHeader() {
        // magic, flags, seqid, header words = 2 (8 bytes) but only 4 present
        let beyond: [UInt8] = [0, 0, 0, 14, 0x0f, 0xff, 0, 0, 0, 0, 0, 1, 0, 2, 2, 0, 0, 0]
        #expect(parse(beyond).error == "THeader header size beyond the frame")
        let json: [UInt8] = [0, 0, 0, 14, 0x0f, 0xff, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0]
        #expect(parse(json).error == "unknown THeader protocol id")
        let transform: [UInt8] = [0, 0, 0, 14, 0x0f, 0xff, 0, 0, 0, 0, 0, 1, 0, 1, 2, 1, 5, 0]
        #expect(parse(transform).error == "unknown THeader transform")
        let truncatedCount: [UInt8] = [0, 0, 0, 14, 0x0f, 0xff, 0, 0, 0, 0, 0, 1, 0, 1, 2, 0, 1, 0x80]
        #expect(parse(truncatedCount).status == BPIO_ERROR)
        // 65 one-byte headers: more than BPIO_MAX_HEADERS
        var info: [UInt8] = [2, 0, 1, 65]
        for _ in 0..<65 { info += [1, 0x61, 1, 0x62] }
        while info.count % 4 != 0 { info.append(0) }
        let body: [UInt8] = [0x0f, 0xff, 0, 0, 0, 0, 0, 1, 0, UInt8(info.count / 4)] + info
        let len = UInt32(body.count)
        let many = [UInt8(len >> 24), UInt8(len >> 16 & 0xff), UInt8(len >> 8 & 0xff), UInt8(len & 0xff)] + body
        #expect(parse(many).error == "too many THeader headers")
    }

    func messageLength(_ proto: Int32, _ bytes: [UInt8], limit: Int = 1 << 20) -> (bpio_status, Int) {
        var n = 0
        let st = bytes.withUnsafeBufferPointer { bpio_message_length(proto, $0.baseAddress, $0.count, limit, &n) }
        return (st, n)
    }

    @Test(arguments: ["msg_call", "msg_reply", "msg_exception", "msg_oneway", "msg_negseq"])
    func unframedMessageLength(_ name: String) throws {
        for (proto, prefix) in [(Int32(BPIO_PROTOCOL_BINARY), "binary"), (Int32(BPIO_PROTOCOL_COMPACT), "compact")] {
            let msg = try golden("\(prefix).\(name)")
            #expect(messageLength(proto, msg) == (BPIO_OK, msg.count))
            #expect(messageLength(proto, msg + [0x80, 0x01]) == (BPIO_OK, msg.count))
            for cut in 0..<msg.count {
                #expect(messageLength(proto, Array(msg.prefix(cut))).0 == BPIO_NEED_MORE, "\(prefix) cut at \(cut)")
            }
            #expect(messageLength(proto, msg, limit: msg.count - 1).0 == BPIO_ERROR)
        }
    }

    @Test func unframedWalkResumesAcrossReads() throws {
        for (proto, prefix) in [(Int32(BPIO_PROTOCOL_BINARY), "binary"), (Int32(BPIO_PROTOCOL_COMPACT), "compact")] {
            let header = Array(try golden("\(prefix).msg_call").dropLast())
            let msg = header + (try golden("\(prefix).containers"))
            // Bytes arrive one at a time; the same walk state is resumed after every arrival.
            var walk = bpio_walk()
            bpio_walk_reset(&walk)
            var length = 0
            for n in 1...msg.count {
                let st = msg.withUnsafeBufferPointer { bpio_message_walk(&walk, proto, $0.baseAddress, n, 1 << 20, &length) }
                #expect(st == (n == msg.count ? BPIO_OK : BPIO_NEED_MORE), "\(prefix) at \(n)")
                #expect(walk.pos <= n)
            }
            #expect(length == msg.count)
        }
    }

    @Test func unframedLengthWalksEveryType() throws {
        // Wrap the struct cases in a call message so the walker sees values of every type.
        for (proto, prefix) in [(Int32(BPIO_PROTOCOL_BINARY), "binary"), (Int32(BPIO_PROTOCOL_COMPACT), "compact")] {
            let header = Array(try golden("\(prefix).msg_call").dropLast())  // without its stop byte
            for name in ["scalars", "containers", "nested", "fieldids"] {
                let msg = header + (try golden("\(prefix).\(name)"))
                #expect(messageLength(proto, msg) == (BPIO_OK, msg.count), "\(prefix).\(name)")
            }
        }
    }

    @Test func hostileUnframedInputIsAnErrorNotACrash() throws {
        let header = Array(try golden("binary.msg_call").dropLast())
        // 100,000 nested lists: beyond the depth limit, no recursion.
        var deep = header + [15, 0, 1]
        for _ in 0..<100_000 { deep += [15, 0, 0, 0, 1] }
        #expect(messageLength(Int32(BPIO_PROTOCOL_BINARY), deep).0 == BPIO_ERROR)
        // A negative string length.
        #expect(messageLength(Int32(BPIO_PROTOCOL_BINARY), header + [11, 0, 1, 0xff, 0xff, 0xff, 0xff]).0 == BPIO_ERROR)
        // An invalid type byte.
        #expect(messageLength(Int32(BPIO_PROTOCOL_BINARY), header + [99, 0, 1]).0 == BPIO_ERROR)
        // A list claiming 2^31-1 elements cannot fit under the limit: an error at once, without
        // waiting for (and buffering) bytes up to the limit first.
        let huge = header + [15, 0, 1, 8, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1]
        #expect(messageLength(Int32(BPIO_PROTOCOL_BINARY), huge).0 == BPIO_ERROR)
        // One that could fit waits for its bytes.
        let fits = header + [15, 0, 1, 8, 0x00, 0x00, 0x10, 0x00, 0, 0, 0, 1]
        #expect(messageLength(Int32(BPIO_PROTOCOL_BINARY), fits).0 == BPIO_NEED_MORE)
        #expect(messageLength(Int32(BPIO_PROTOCOL_BINARY), fits, limit: header.count + 100).0 == BPIO_ERROR)
        // Strings likewise: a length past the limit is an error now, one under it waits.
        let longString = header + [11, 0, 1, 0x7f, 0xff, 0xff, 0xf0, 0x61]
        #expect(messageLength(Int32(BPIO_PROTOCOL_BINARY), longString).0 == BPIO_ERROR)
        let shortString = header + [11, 0, 1, 0x00, 0x00, 0x10, 0x00, 0x61]
        #expect(messageLength(Int32(BPIO_PROTOCOL_BINARY), shortString).0 == BPIO_NEED_MORE)
        // A compact varint that never ends.
        let cheader = Array(try golden("compact.msg_call").dropLast())
        #expect(messageLength(Int32(BPIO_PROTOCOL_COMPACT), cheader + [0x15] + [UInt8](repeating: 0xff, count: 12)).0 == BPIO_ERROR)
    }
}
