import Baseplate
import CBaseplateIO
import Glibc
import TestSupport

/// A blocking loopback client speaking THeader+compact (or framed binary), for server tests.
final class TestClient {
    let fd: Int32
    var nextSeqid: Int32 = 1

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw TestError("connect failed: errno \(errno)") }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// A THeader+compact CALL frame.
    func frame(_ method: String, _ arg: StringArg, type: MessageType = .call, headers: [(String, String)] = []) -> [UInt8] {
        let seqid = nextSeqid
        nextSeqid += 1
        var w = CompactWriter()
        w.writeMessageBegin(MessageHeader(name: method, type: type, sequenceID: seqid))
        arg.write(to: &w)
        return theaderFrame(seqid: seqid, headers: headers, payload: w.bytes)
    }

    func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestError("send failed: errno \(errno)") }
            off += n
        }
    }

    func readExactly(_ n: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            let r = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard r > 0 else { throw TestError(r == 0 ? "connection closed" : "recv failed: errno \(errno)") }
            got += r
        }
        return out
    }

    /// True when the server closed the connection (EOF before any byte).
    func isClosedByPeer() -> Bool {
        var b: UInt8 = 0
        return recv(fd, &b, 1, 0) == 0
    }

    struct Reply {
        var header: MessageHeader
        var value: String?
        var exception: TApplicationException?
    }

    /// Reads one THeader+compact reply.
    func readReply() throws -> Reply {
        try readFrame { r in
            let h = try r.readMessageBegin()
            if h.type == .exception {
                return Reply(header: h, exception: try TApplicationException(from: &r))
            }
            return Reply(header: h, value: try StringArg(from: &r).value)
        }
    }

    /// Reads one THeader+compact REPLY and decodes its body as `T`.
    func readReply<T: ThriftStruct>(as type: T.Type) throws -> T {
        try readFrame { r in
            guard try r.readMessageBegin().type == .reply else { throw TestError("not a REPLY") }
            return try T(from: &r)
        }
    }

    /// Reads one THeader frame and hands its compact payload to `decode`.
    private func readFrame<T>(_ decode: (inout CompactReader) throws -> T) throws -> T {
        let len = try readExactly(4)
        let n = Int(len[0]) << 24 | Int(len[1]) << 16 | Int(len[2]) << 8 | Int(len[3])
        let body = try readExactly(n)
        var headers = [bpio_header](repeating: bpio_header(), count: Int(BPIO_MAX_HEADERS))
        var f = bpio_frame()
        var why: UnsafePointer<CChar>?
        return try body.withUnsafeBufferPointer { b in
            guard bpio_theader_parse(b.baseAddress, b.count, &headers, &f, &why) == BPIO_OK else {
                throw TestError("bad reply frame")
            }
            var r = CompactReader(UnsafeRawBufferPointer(start: f.payload, count: f.payload_len))
            return try decode(&r)
        }
    }

    func call(_ method: String, _ value: String, headers: [(String, String)] = []) throws -> Reply {
        try send(frame(method, StringArg(value: value), headers: headers))
        return try readReply()
    }
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
