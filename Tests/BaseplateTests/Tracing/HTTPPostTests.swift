@testable import Baseplate
import Glibc
import Synchronization
import Testing

/// The remote recorder's POSTs keep their connection when the collector allows it, open a new
/// one when it does not, and retry once when a kept connection turns out closed.
@Suite struct HTTPPostTests {
    @Test(arguments: [(CollectorMode.keepAlive, 1), (.http10, 3), (.closesAnyway, 3)])
    func postsAndConnections(mode: CollectorMode, connections: Int) throws {
        let collector = try HTTPCollector(mode: mode)
        defer { collector.stop() }
        let post = HTTPPost(target: .inet(host: "127.0.0.1", port: collector.port))
        for i in 0..<3 {
            #expect(try post.post(Array("[\(i)]".utf8), path: "/api/v1/spans", timeout: .seconds(2)) == 202)
            usleep(20_000)  // lets a closing collector's FIN arrive before the next POST
        }
        #expect(collector.bodies.withLock { $0 } == ["[0]", "[1]", "[2]"])
        #expect(collector.accepted.load(ordering: .relaxed) == connections)
    }
}

/// How the collector answers each POST.
enum CollectorMode: Sendable {
    /// HTTP/1.1 with Content-Length: the connection stays open.
    case keepAlive
    /// HTTP/1.0, as Python's BaseHTTPRequestHandler answers by default: closed after.
    case http10
    /// Answers as `keepAlive` would, then closes the connection anyway.
    case closesAnyway
}

/// A blocking HTTP server on a thread of its own, for one test.
final class HTTPCollector: Sendable {
    let port: Int
    let accepted = Atomic<Int>(0)
    let bodies = Mutex<[String]>([])
    private let fd: Int32

    init(mode: CollectorMode) throws {
        (fd, port) = try loopbackSocket(SOCK_STREAM)
        let listener = fd
        BackgroundThread.start(name: "collector") { [self] in
            while true {
                let conn = accept(listener, nil, nil)
                guard conn >= 0 else {
                    close(listener)
                    return
                }
                accepted.add(1, ordering: .relaxed)
                serve(conn, mode: mode)
            }
        }
    }

    /// Stops accepting: the thread (which holds the collector) closes the socket and returns.
    /// (Closed here, its number could be reused by another test's socket while the thread is
    /// between two accepts.)
    func stop() { shutdown(fd, Int32(SHUT_RDWR)) }

    private func serve(_ conn: Int32, mode: CollectorMode) {
        defer { close(conn) }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            // One request: the head, then Content-Length bytes of body.
            var head: Int?
            while head == nil {
                if let end = pending.indices.dropLast(3).first(where: { pending[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) }) {
                    head = end + 4
                    break
                }
                let n = recv(conn, &buffer, buffer.count, 0)
                if n <= 0 { return }
                pending += buffer[0..<n]
            }
            let text = String(decoding: pending[..<head!], as: UTF8.self)
            let length = text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].filter { $0 != " " }) } ?? 0
            while pending.count < head! + length {
                let n = recv(conn, &buffer, buffer.count, 0)
                if n <= 0 { return }
                pending += buffer[0..<n]
            }
            bodies.withLock { $0.append(String(decoding: pending[head!..<(head! + length)], as: UTF8.self)) }
            pending.removeFirst(head! + length)
            let reply = mode == .http10
                ? "HTTP/1.0 202 Accepted\r\nContent-Length: 0\r\n\r\n"
                : "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
            _ = Array(reply.utf8).withUnsafeBytes { send(conn, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if mode != .keepAlive { return }
        }
    }
}

/// The facts read from a collector's response head, for the heads collectors send.
@Suite struct HTTPResponseHeadTests {
    private func head(_ text: String) -> HTTPResponseHead? { HTTPResponseHead(Array(text.utf8)[...]) }

    @Test func keepsTheConnectionOnlyForHTTP11WithALength() {
        #expect(head("HTTP/1.1 202 Accepted\r\nContent-Length: 0") == HTTPResponseHead(status: 202, contentLength: 0, keepAlive: true))
        // Python's BaseHTTPRequestHandler: HTTP/1.0, more headers, lower case.
        #expect(head("HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.2\r\nDate: Mon, 23 Nov 2026 09:00:00 GMT\r\ncontent-length:  17 ")
            == HTTPResponseHead(status: 200, contentLength: 17, keepAlive: false))
        #expect(head("http/1.1 500 Internal Server Error\r\nCONTENT-LENGTH:\t5\r\nConnection: Close")
            == HTTPResponseHead(status: 500, contentLength: 5, keepAlive: false))
        #expect(head("HTTP/1.1 202 Accepted\r\nConnection: keep-alive\r\nContent-Length: 2")?.keepAlive == true)
        #expect(head("HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\nContent-Length: 2")?.keepAlive == false)
        #expect(head("HTTP/1.1 202 Accepted") == HTTPResponseHead(status: 202, contentLength: nil, keepAlive: false))
        #expect(head("HTTP/1.1 202 Accepted\nContent-Length: 3") == HTTPResponseHead(status: 202, contentLength: 3, keepAlive: true))
    }

    @Test func aBadLengthClosesTheConnection() {
        for bad in ["-1", "1x", "", "99999999999999999999", "+4"] {
            #expect(head("HTTP/1.1 202 Accepted\r\nContent-Length: \(bad)") == HTTPResponseHead(status: 202, contentLength: nil, keepAlive: false))
        }
    }

    @Test func notAStatusLine() {
        for bad in ["", "SSH-2.0-OpenSSH_9.2", "HTTP/1.1", "HTTP/1.1 OK 200", "HTTX/1.1 200 OK", "\r\nHTTP/1.1 200 OK"] {
            #expect(head(bad) == nil, "\(bad)")
        }
    }
}
