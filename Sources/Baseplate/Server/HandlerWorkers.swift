import Synchronization

/// The tasks that run one loop's handlers, kept from request to request.
///
/// A task per request cost ~3,000 instructions and three allocations (the task, its first
/// stack slab, the closure's context; callgrind, perf/RESULTS.md). A worker is a task that runs
/// one request, then parks on a continuation until the loop hands it the next: a resume and a
/// suspension instead. Requests still run concurrently: a request finding no idle worker gets a
/// new one, so there are as many workers as requests in flight at the busiest moment (idle
/// ones beyond `maxIdle` end).
///
/// A worker whose request timed out has been cancelled, and Task cancellation cannot be undone:
/// it ends after that request instead of parking. Workers also end once the loop is shutting
/// down. Loop thread only (but `live`).
final class HandlerWorkers: @unchecked Sendable {
    // @unchecked: used on its loop's thread only (workers' tasks prefer the loop's executor).
    /// Idle workers kept for reuse; more end (a burst of concurrency leaves no lasting cost).
    static let maxIdle = 256

    private let executor: LoopExecutor
    /// Whether each request is bound as swift-distributed-tracing's task-local.
    private let bindsTraceContext: Bool
    // @exclusivity(unchecked) here and on Worker: loop thread only; the dynamic checks were
    // ~3 per request (callgrind).
    @exclusivity(unchecked) private var idle: [Worker] = []
    /// Set when the loop starts shutting down: idle workers are ended, busy ones end after
    /// their request.
    @exclusivity(unchecked) private(set) var retired = false
    /// Workers whose task has not ended (any thread may read it: tests, dumps).
    let live = WorkerCount()

    init(executor: LoopExecutor, bindsTraceContext: Bool) {
        self.executor = executor
        self.bindsTraceContext = bindsTraceContext
        idle.reserveCapacity(64)
    }

    /// Runs `call` for the request on an idle worker, or a new one. Returns the worker's task
    /// (what a deadline cancels).
    func run(_ call: ThriftCall, context: RequestContext, responder: Responder) -> Task<Void, Never> {
        let worker = idle.popLast() ?? Worker(counting: live)
        worker.call = call
        worker.context = context
        worker.responder = responder
        if let task = worker.task {
            worker.wake(true)
            return task
        }
        let task = Task(executorPreference: executor) { [self] in await work(worker) }
        worker.task = task
        return task
    }

    /// Ends the idle workers; busy ones end after their request. Called when the loop starts
    /// shutting down, so that no task is left parked when it exits.
    func retire() {
        retired = true
        while let worker = idle.popLast() { worker.wake(false) }
    }

    /// A worker's life: its first request, then each one it is handed while parked.
    private func work(_ worker: Worker) async {
        while true {
            // The request is moved out of the worker (a parked worker holds none) and its
            // references end with this block. Inline, not a function of its own: each async
            // call costs an executor check (~400 instructions, callgrind).
            do {
                let call = worker.call.take()!
                let context = worker.context.take()!
                let responder = worker.responder.take()!
                if bindsTraceContext {
                    // Tracing on: spans from swift-distributed-tracing in the handler join its trace.
                    await DistributedTracing.$request.withValue(context) { await call.invoke(context, responder) }
                } else {
                    await call.invoke(context, responder)
                }
            }
            guard !Task.isCancelled, !retired, idle.count < Self.maxIdle else { return }
            let more = await withUnsafeContinuation { continuation in
                worker.park(continuation)
                idle.append(worker)
            }
            guard more else { return }
        }
    }
}

/// One worker: its task, the request it is given (moved in and out, not copied: a copy of
/// the three cost five retains), and while parked, the continuation that wakes it.
private final class Worker: @unchecked Sendable {
    // @unchecked: used on its loop's thread only (the task prefers the loop's executor).
    private let live: WorkerCount
    @exclusivity(unchecked) var task: Task<Void, Never>?
    @exclusivity(unchecked) var call: ThriftCall?
    @exclusivity(unchecked) var context: RequestContext?
    @exclusivity(unchecked) var responder: Responder?
    @exclusivity(unchecked) private var parked: UnsafeContinuation<Bool, Never>?

    init(counting live: WorkerCount) {
        self.live = live
        live.value.add(1, ordering: .relaxed)
    }

    deinit { live.value.subtract(1, ordering: .relaxed) }

    func park(_ continuation: UnsafeContinuation<Bool, Never>) { parked = continuation }

    /// Wakes the parked worker: true with its next request set, false to end.
    func wake(_ more: Bool) {
        parked.take()!.resume(returning: more)
    }
}

/// A count shared by a pool and its workers (a worker may outlive its pool's other owners).
final class WorkerCount: Sendable {
    let value = Atomic<Int>(0)
}
