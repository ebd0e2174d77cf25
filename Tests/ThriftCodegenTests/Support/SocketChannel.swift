import Baseplate
import CBaseplateIO
import Foundation
import Glibc

/// A blocking loopback `ThriftChannel` for tests, in any dialect the server speaks. One call at a
/// time (a lock serialises them); the reply is read before the next call is sent.
final class SocketChannel: ThriftChannel, @unchecked Sendable {
    // @unchecked: `fd` is only used under `lock`.
    enum Framing: String, CaseIterable, Sendable {
        case theader
        case framed
        case unframed
    }

    let fd: Int32
    let framing: Framing
    let protocolKind: ThriftProtocolKind
    let lock = NSLock()

    init(port: Int, framing: Framing, protocol kind: ThriftProtocolKind) throws {
        self.framing = framing
        self.protocolKind = kind
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw ThriftClientError("connect to port \(port) failed: errno \(errno)")
        }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    var protocolID: Int32 { protocolKind == .binary ? Int32(BPIO_PROTOCOL_BINARY) : Int32(BPIO_PROTOCOL_COMPACT) }

    func send(_ message: [UInt8], expectsReply: Bool) async throws -> [UInt8]? {
        try lock.withLock {
            try write(frame(message))
            guard expectsReply else { return nil }
            return try readReply()
        }
    }

    func frame(_ message: [UInt8]) -> [UInt8] {
        switch framing {
        case .unframed:
            return message
        case .framed:
            return bigEndian(UInt32(message.count)) + message
        case .theader:
            var out = bpio_buf()
            defer { bpio_buf_free(&out) }
            _ = message.withUnsafeBufferPointer { p in
                bpio_theader_write(&out, 0, sequenceID(of: message), protocolID, 0, nil, 0, p.baseAddress, p.count)
            }
            return Array(UnsafeBufferPointer(start: out.data, count: out.len))
        }
    }

    func sequenceID(of message: [UInt8]) -> Int32 {
        message.withUnsafeBytes { raw in
            switch protocolKind {
            case .binary:
                var r = BinaryReader(raw)
                return (try? r.readMessageBegin().sequenceID) ?? 0
            case .compact:
                var r = CompactReader(raw)
                return (try? r.readMessageBegin().sequenceID) ?? 0
            }
        }
    }

    func readReply() throws -> [UInt8] {
        switch framing {
        case .unframed:
            // Read until the bytes hold one whole message.
            var bytes: [UInt8] = []
            while true {
                var length = 0
                let status = bytes.withUnsafeBufferPointer {
                    bpio_message_length(protocolID, $0.baseAddress, $0.count, 1 << 24, &length)
                }
                if status == BPIO_OK { return Array(bytes[..<length]) }
                guard status == BPIO_NEED_MORE else { throw ThriftClientError("malformed unframed reply") }
                bytes += try readExactly(1)
            }
        case .framed:
            let n = try readLength()
            return try readExactly(n)
        case .theader:
            let n = try readLength()
            let body = try readExactly(n)
            var headers = [bpio_header](repeating: bpio_header(), count: Int(BPIO_MAX_HEADERS))
            var f = bpio_frame()
            var why: UnsafePointer<CChar>?
            return try body.withUnsafeBufferPointer { b in
                guard bpio_theader_parse(b.baseAddress, b.count, &headers, &f, &why) == BPIO_OK else {
                    throw ThriftClientError("bad THeader reply")
                }
                return Array(UnsafeBufferPointer(start: f.payload, count: f.payload_len))
            }
        }
    }

    func readLength() throws -> Int {
        let b = try readExactly(4)
        return Int(b[0]) << 24 | Int(b[1]) << 16 | Int(b[2]) << 8 | Int(b[3])
    }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ThriftClientError("send failed: errno \(errno)") }
            offset += n
        }
    }

    func readExactly(_ n: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            let r = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard r > 0 else { throw ThriftClientError(r == 0 ? "connection closed" : "recv failed: errno \(errno)") }
            got += r
        }
        return out
    }

    func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
    }
}
