/// The statsd lines one event loop's requests produced since it last waited for I/O, per
/// transport (there is usually one). Loop thread only.
final class StatsdOutbox {
    // @exclusivity(unchecked): loop thread only; the dynamic checks were ~4 per request.
    @exclusivity(unchecked) private var pending: [(transport: MetricsTransport, bytes: [UInt8])] = []
    /// Whether anything waits: the loop's check before each wait costs one load.
    @exclusivity(unchecked) private(set) var isEmpty = true

    /// Adds one batch (whole lines, at most `coalescedLimit` bytes), sending what is pending
    /// first if both would not fit in one datagram.
    func append(_ batch: [UInt8], for transport: MetricsTransport) {
        isEmpty = false
        let i = index(of: transport)
        if !pending[i].bytes.isEmpty {
            if pending[i].bytes.count + 1 + batch.count > MetricsTransport.coalescedLimit {
                _ = transport.send(pending[i].bytes)
                pending[i].bytes.removeAll(keepingCapacity: true)
            } else {
                pending[i].bytes.append(UInt8(ascii: "\n"))
            }
        }
        pending[i].bytes.append(contentsOf: batch)
    }

    /// Writes one batch's lines straight into the pending datagram (no batch buffer): `body`
    /// appends whole lines. A datagram that would grow past the limit is sent first.
    func write(for transport: MetricsTransport, _ body: (inout [UInt8]) -> Void) {
        isEmpty = false
        let i = index(of: transport)
        let start = pending[i].bytes.count
        if start > 0 { pending[i].bytes.append(UInt8(ascii: "\n")) }
        body(&pending[i].bytes)
        guard pending[i].bytes.count > MetricsTransport.coalescedLimit, start > 0 else { return }
        // Too much for one datagram: what was pending goes alone, this batch stays.
        _ = transport.send(Array(pending[i].bytes[..<start]))
        pending[i].bytes.removeSubrange(..<(start + 1))
    }

    private func index(of transport: MetricsTransport) -> Int {
        if let i = pending.firstIndex(where: { $0.transport === transport }) { return i }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(MetricsTransport.coalescedLimit + 256)
        pending.append((transport, bytes))
        return pending.count - 1
    }

    /// Sends everything pending (failures are the transport's to log, as for any datagram).
    func flush() {
        guard !isEmpty else { return }
        isEmpty = true
        for i in pending.indices where !pending[i].bytes.isEmpty {
            _ = pending[i].transport.send(pending[i].bytes)
            pending[i].bytes.removeAll(keepingCapacity: true)
        }
    }
}
