import CBaseplateIO

/// One connection to a Thrift server, on an event loop of the C core: the channel generated
/// clients use. Calls may be pipelined; replies are matched to calls in order.
///
/// All connection state lives on the loop's thread: `send` hops there (task executor
/// preference), queues the framed message for the loop's next write, and suspends until the
/// reply frame's callback resumes it, on the same thread.
public final class ThriftConnection: ThriftChannel, @unchecked Sendable {
    // @unchecked: mutable state is touched only on `loop`'s thread (checked on every entry).

    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    /// How messages are framed on the wire.
    public enum Dialect: Sendable, Hashable {
        /// THeader with this protocol inside: what baseplate clients speak (compact).
        case header(ThriftProtocolKind)
        case framed(ThriftProtocolKind)
        case unframed(ThriftProtocolKind)
    }

    public let endpoint: Endpoint
    public let dialect: Dialect
    public var protocolKind: ThriftProtocolKind {
        switch dialect {
        case .header(let k), .framed(let k), .unframed(let k): k
        }
    }

    let loop: LoopContext
    private var client: OpaquePointer?
    private var pending: [CheckedContinuation<[UInt8], any Error>] = []
    private var pendingHead = 0
    /// Replies received since the connection opened (0: it may never have connected).
    private(set) var repliesReceived = 0
    /// Fires when a call given a timeout has waited too long: the connection is closed.
    private var timer: OpaquePointer?
    private var timedOut = false

    /// A connection on the current server loop when created on one, else on the shared client
    /// loop. It connects on the first call and reconnects after a failure.
    public convenience init(endpoint: Endpoint, dialect: Dialect = .header(.compact)) {
        self.init(endpoint: endpoint, dialect: dialect, loop: LoopGroup.current ?? LoopGroup.clients.contexts[0])
    }

    init(endpoint: Endpoint, dialect: Dialect, loop: LoopContext) {
        self.endpoint = endpoint
        self.dialect = dialect
        self.loop = loop
    }

    deinit {
        // The C side holds a retain while open (see `open`), so a live client never gets here.
        precondition(client == nil)
        bpio_timer_free(timer)
    }

    /// Whether the connection is open (or connecting). Loop thread only.
    var isOpen: Bool { client != nil }

    /// Sends on the loop's thread (the caller is already there), failing with
    /// `TTransportException(.timedOut)` and closing the connection if no reply arrives within
    /// `timeout`: a connection that timed out may still get the late reply, so it cannot be
    /// reused.
    func sendOnLoop(_ message: [UInt8], headers: ThriftHeaders?, timeout: Duration) async throws -> [UInt8] {
        checkThread()
        if timer == nil {
            timer = bpio_timer_new(loop.loop, { arg in
                let me = Unmanaged<ThriftConnection>.fromOpaque(arg!).takeUnretainedValue()
                me.timedOut = true
                if let client = me.client { bpio_client_close(client) }
            }, Unmanaged.passUnretained(self).toOpaque())
        }
        timedOut = false
        bpio_timer_arm(timer, timeout.seconds)
        defer { bpio_timer_stop(timer) }
        do {
            return try await sendOnLoop(message, expectsReply: true, headers: headers)!
        } catch where timedOut {
            throw TTransportException(.timedOut, "timed out interacting with socket")
        }
    }

    /// Closes the connection on its loop's thread (the caller is there).
    func closeOnLoop() {
        checkThread()
        if let client { bpio_client_close(client) }
    }

    public func send(_ message: [UInt8], expectsReply: Bool) async throws -> [UInt8]? {
        try await withTaskExecutorPreference(loop.executor) {
            try await self.sendOnLoop(message, expectsReply: expectsReply, headers: ThriftHeaders.outgoing)
        }
    }

    /// Closes the connection; calls in flight fail.
    public func close() async {
        await withTaskExecutorPreference(loop.executor) {
            self.checkThread()
            if let client = self.client { bpio_client_close(client) }
        }
    }

    private func checkThread() {
        precondition(bpio_loop_is_current(loop.loop) != 0, "ThriftConnection used off its loop")
    }

    private func sendOnLoop(_ message: [UInt8], expectsReply: Bool, headers: ThriftHeaders?) async throws -> [UInt8]? {
        checkThread()
        let client = try self.client ?? open()
        let seqid = Self.sequenceID(of: message, protocolKind)
        let rc = message.withUnsafeBufferPointer { m in
            (headers ?? ThriftHeaders()).withCHeaders { hs in
                bpio_client_send(client, m.baseAddress, m.count, seqid, hs.baseAddress, UInt32(hs.count))
            }
        }
        guard rc == 0 else { throw ThriftClientError("cannot send to \(endpoint): connection closed") }
        guard expectsReply else { return nil }
        return try await withCheckedThrowingContinuation { pending.append($0) }
    }

    private func open() throws -> OpaquePointer {
        var callbacks = Self.callbacks
        var err = [CChar](repeating: 0, count: 256)
        let (dialectID, protocolID): (bpio_dialect, Int) = switch dialect {
        case .header(let k): (BPIO_DIALECT_HEADER, k == .compact ? BPIO_PROTOCOL_COMPACT : BPIO_PROTOCOL_BINARY)
        case .framed(let k): (k == .compact ? BPIO_DIALECT_FRAMED_COMPACT : BPIO_DIALECT_FRAMED_BINARY, 0)
        case .unframed(let k): (k == .compact ? BPIO_DIALECT_UNFRAMED_COMPACT : BPIO_DIALECT_UNFRAMED_BINARY, 0)
        }
        // The C side keeps this object alive until on_close.
        let ctx = Unmanaged.passRetained(self).toOpaque()
        let made: OpaquePointer? = switch endpoint {
        case .tcp(let host, let port):
            bpio_client_open(loop.loop, host, Int32(port), nil, Int32(dialectID.rawValue), Int32(protocolID),
                             &callbacks, ctx, &err, err.count)
        case .unix(let path):
            bpio_client_open(loop.loop, nil, 0, path, Int32(dialectID.rawValue), Int32(protocolID),
                             &callbacks, ctx, &err, err.count)
        }
        guard let made else {
            Unmanaged<ThriftConnection>.fromOpaque(ctx).release()
            throw ThriftClientError(cString(err))
        }
        client = made
        return made
    }

    // C callbacks: a static table, so its address is stable for the C side.
    nonisolated(unsafe) private static var callbacks: bpio_client_callbacks = {
        var cb = bpio_client_callbacks()
        cb.on_frame = { _, ctx, frame in
            let me = Unmanaged<ThriftConnection>.fromOpaque(ctx!).takeUnretainedValue()
            let f = frame!.pointee
            me.received(Array(UnsafeBufferPointer(start: f.payload, count: f.payload_len)))
        }
        cb.on_close = { _, ctx, reason in
            let me = Unmanaged<ThriftConnection>.fromOpaque(ctx!).takeRetainedValue()
            me.closed(reason.map { String(cString: $0) } ?? "connection closed")
        }
        return cb
    }()

    private func received(_ payload: [UInt8]) {
        repliesReceived += 1
        guard pendingHead < pending.count else { return }  // a reply nobody waits for
        let waiter = pending[pendingHead]
        pendingHead += 1
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
        waiter.resume(returning: payload)
    }

    private func closed(_ reason: String) {
        client = nil
        repliesReceived = 0
        let waiting = pending[pendingHead...]
        pending.removeAll()
        pendingHead = 0
        for waiter in waiting {
            waiter.resume(throwing: ThriftClientError("connection to \(endpoint) lost: \(reason)"))
        }
    }

    /// The message's sequence id, which THeader frames repeat (as C++ clients do).
    static func sequenceID(of message: [UInt8], _ kind: ThriftProtocolKind) -> Int32 {
        message.withUnsafeBytes { raw in
            switch kind {
            case .binary:
                var r = BinaryReader(raw)
                return (try? r.readMessageBegin().sequenceID) ?? 0
            case .compact:
                var r = CompactReader(raw)
                return (try? r.readMessageBegin().sequenceID) ?? 0
            }
        }
    }
}
