import Glibc
import Testing
@testable import Baseplate

/// How large a loop's coalesced statsd datagrams may grow: 8 KiB to a collector on this host,
/// one Ethernet frame's worth over a network.
@Suite struct DatagramLimitTests {
    /// The limit for a peer at `text`, an address of `family` held in a `sockaddr` of type `T`.
    private func limit<T>(_ text: String, _ family: Int32, _: T.Type, at offset: Int) -> Int {
        let address = UnsafeMutableRawBufferPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: 8)
        defer { address.deallocate() }
        address.initializeMemory(as: UInt8.self, repeating: 0)
        address.storeBytes(of: sa_family_t(family), as: sa_family_t.self)
        #expect(inet_pton(family, text, address.baseAddress! + offset) == 1)
        return MetricsTransport.datagramLimit(peer: address.baseAddress!, length: address.count)
    }

    private func limit(ipv4 text: String) -> Int {
        limit(text, AF_INET, sockaddr_in.self, at: MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!)
    }

    private func limit(ipv6 text: String) -> Int {
        limit(text, AF_INET6, sockaddr_in6.self, at: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!)
    }

    @Test func loopbackPeersGetLocalDatagrams() {
        for text in ["127.0.0.1", "127.0.1.1", "127.255.255.254"] { #expect(limit(ipv4: text) == 8192, "\(text)") }
        for text in ["::1", "::ffff:127.0.0.1"] { #expect(limit(ipv6: text) == 8192, "\(text)") }
    }

    @Test func networkPeersGetOneFrame() {
        for text in ["10.0.0.1", "192.0.2.7", "128.0.0.1", "126.255.255.255"] { #expect(limit(ipv4: text) == 1432, "\(text)") }
        for text in ["2001:db8::1", "::2", "::ffff:10.0.0.1", "fe80::1"] { #expect(limit(ipv6: text) == 1432, "\(text)") }
    }

    @Test func connectedTransportsAskTheirSocket() throws {
        let udp = try StatsdListener()
        #expect(try MetricsTransport(endpoint: udp.endpoint).coalescedLimit == 8192)
        // A UNIX datagram socket is on this host too.
        let path = "/tmp/bp-limit-\(getpid()).sock"
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd); unlink(path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        #expect(try MetricsTransport(endpoint: .unix(path: path)).coalescedLimit == 8192)
        #expect(MetricsTransport().coalescedLimit == 1432)  // nowhere: nothing is coalesced anyway
    }
}
