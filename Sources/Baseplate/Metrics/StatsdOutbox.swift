/// The statsd lines one event loop's requests produced since it last waited for I/O, per
/// transport (there is usually one). Loop thread only.
final class StatsdOutbox {
    // @exclusivity(unchecked): loop thread only; the dynamic checks were ~4 per request.
    /// Each transport's datagram so far. `OutputBytes`: a line's pieces are stores, where
    /// `Array.append` cost ~100 instructions each (callgrind).
    /// `limit` is the transport's `coalescedLimit`, kept here: the check runs per request.
    @exclusivity(unchecked) private var pending: [(transport: MetricsTransport, limit: Int, bytes: OutputBytes)] = []
    /// Whether anything waits: the loop's check before each wait costs one load.
    @exclusivity(unchecked) private(set) var isEmpty = true

    /// Adds one batch (whole lines, at most `coalescedLimit` bytes).
    func append(_ batch: [UInt8], for transport: MetricsTransport) {
        write(for: transport) { out in batch.withUnsafeBufferPointer { out.append(contentsOf: $0) } }
    }

    /// Writes one batch's lines straight into the pending datagram (no batch buffer): `body`
    /// appends whole lines. A datagram that would grow past the limit is sent first.
    func write(for transport: MetricsTransport, _ body: (inout OutputBytes) -> Void) {
        isEmpty = false
        let i = index(of: transport)
        let start = pending[i].bytes.count
        if start > 0 { pending[i].bytes.append(UInt8(ascii: "\n")) }
        body(&pending[i].bytes)
        guard pending[i].bytes.count > pending[i].limit, start > 0 else { return }
        // Too much for one datagram: what was pending goes alone, this batch stays.
        send(i, upTo: start)
        let kept = pending[i].bytes.count - (start + 1)
        pending[i].bytes.storage.withUnsafeMutableBufferPointer { all in
            let base = all.baseAddress!
            base.update(from: base + start + 1, count: kept)
        }
        pending[i].bytes.count = kept
    }

    /// Sends the first `count` pending bytes of transport `i` as one datagram.
    private func send(_ i: Int, upTo count: Int) {
        let transport = pending[i].transport
        pending[i].bytes.storage.withUnsafeBytes { _ = transport.send(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }

    private func index(of transport: MetricsTransport) -> Int {
        if let i = pending.firstIndex(where: { $0.transport === transport }) { return i }
        let room = [UInt8](repeating: 0, count: transport.coalescedLimit + 256)
        pending.append((transport, transport.coalescedLimit, OutputBytes(reusing: room)))
        return pending.count - 1
    }

    /// Sends everything pending (failures are the transport's to log, as for any datagram).
    func flush() {
        guard !isEmpty else { return }
        isEmpty = true
        for i in pending.indices where pending[i].bytes.count > 0 {
            send(i, upTo: pending[i].bytes.count)
            pending[i].bytes.count = 0
        }
    }
}
