import CBaseplateIO
import Logging

/// A set of C event loops, each on its own thread with its Swift context (executor, scratch
/// buffers). A `ThriftServer` owns one with listeners; `LoopGroup.clients` is one without, for
/// outbound connections made outside any server loop (tools, tests, scripts).
final class LoopGroup: @unchecked Sendable {
    // @unchecked: `server` is used through thread-safe C calls only; contexts are immutable.
    let server: OpaquePointer
    let contexts: [LoopContext]
    private let retained: [Unmanaged<LoopContext>]
    /// The C core's log lines' destination; outlives the C server (freed in deinit).
    private let log: ServerLog

    init(config: inout bpio_server_config, processor: (any ThriftProcessor)?, baseplate: BaseplateApp? = nil,
         logger: Logger) throws {
        log = ServerLog(logger)
        var callbacks = bpio_callbacks()
        callbacks.on_frame = { _, ctx, conn, frame in
            Unmanaged<LoopContext>.fromOpaque(ctx!).takeUnretainedValue().handle(connection: conn!, frame: frame!)
        }
        callbacks.on_drain = { loop, ctx in
            let context = Unmanaged<LoopContext>.fromOpaque(ctx!).takeUnretainedValue()
            context.stats.publish(connections: Int(bpio_loop_connection_count(loop)), inFlight: context.inFlightCount)
            // No handler task may be left parked when the loop exits: idle workers end now
            // (their last jobs run in this drain), busy ones after their request.
            if !context.workers.retired && bpio_loop_is_shutting_down(loop) != 0 { context.workers.retire() }
            let more = context.executor.drain()
            // Outside any job now: a handler worker still inside a handler has suspended there.
            let tookOver = context.workers.takeOver()
            return more || tookOver ? 1 : 0
        }
        callbacks.on_written = { _, ctx in
            Unmanaged<LoopContext>.fromOpaque(ctx!).takeUnretainedValue().statsd.flush()
        }
        callbacks.on_log = { sink, level, message in
            Unmanaged<ServerLog>.fromOpaque(sink!).takeUnretainedValue().log(level: level, message: message)
        }
        callbacks.log_ctx = Unmanaged.passUnretained(log).toOpaque()
        var err = [CChar](repeating: 0, count: 256)
        guard let made = bpio_server_new(&config, &callbacks, &err, err.count) else {
            throw ServerError(message: cString(err))
        }
        server = made
        contexts = (0..<bpio_server_loop_count(made)).map {
            LoopContext(loop: bpio_server_loop(made, $0)!, processor: processor, baseplate: baseplate, logger: logger)
        }
        retained = contexts.map { Unmanaged.passRetained($0) }
        for (i, ctx) in retained.enumerated() {
            bpio_loop_set_ctx(bpio_server_loop(made, UInt32(i)), ctx.toOpaque())
        }
    }

    deinit {
        for context in contexts { context.close() }  // loops have exited (joined) by now
        bpio_server_free(server)
        for ctx in retained { ctx.release() }
    }

    func start() throws {
        var err = [CChar](repeating: 0, count: 256)
        if bpio_server_start(server, &err, err.count) != 0 {
            throw ServerError(message: cString(err))
        }
    }

    /// The context of the loop whose thread this is, if any.
    static var current: LoopContext? {
        guard let loop = bpio_loop_current(), let ctx = bpio_loop_ctx(loop) else { return nil }
        return Unmanaged<LoopContext>.fromOpaque(ctx).takeUnretainedValue()
    }

    /// One loop, no listener, started on first use: for connections made off the server loops.
    static let clients: LoopGroup = {
        var config = bpio_server_config()
        config.port = -1
        config.listen_fd = -1
        config.io_threads = 1
        do {
            let group = try LoopGroup(config: &config, processor: nil, logger: Logger(label: "baseplate.client"))
            try group.start()
            return group
        } catch {
            fatalError("cannot start the client event loop: \(error)")
        }
    }()
}

func cString(_ chars: [CChar]) -> String {
    String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
