import Synchronization

/// The tasks that run one loop's handlers, kept from request to request.
///
/// A task per request cost ~3,000 instructions and three allocations (the task, its first
/// stack slab, the closure's context; callgrind, perf/RESULTS.md). Instead, requests go into a
/// queue and one worker, the *drainer*, runs them one after another inside a single job of the
/// loop's executor: a handler that finishes without suspending costs a plain async call, with
/// no continuation resumed and no job run per request.
///
/// Requests still run concurrently: when the drainer suspends inside a handler (it awaits I/O),
/// the loop notices before it sleeps (`takeOver`) and hands the queue to another worker; the
/// suspended one finishes its request when it resumes, then drains again if no one else is,
/// or parks. So there are as many workers as requests suspended at the busiest moment, plus
/// one (idle ones beyond `maxIdle` end).
///
/// A worker whose request timed out has been cancelled, and Task cancellation cannot be undone:
/// it ends after that request instead of going on. Workers also end once the loop is shutting
/// down and the queue is empty. Loop thread only (but `live`).
final class HandlerWorkers: @unchecked Sendable {
    // @unchecked: used on its loop's thread only (workers' tasks prefer the loop's executor).
    /// Idle workers kept for reuse; more end (a burst of concurrency leaves no lasting cost).
    static let maxIdle = 256

    private let executor: LoopExecutor
    /// Where finished requests go back to.
    private let pool: RequestPool
    /// Whether each request is bound as swift-distributed-tracing's task-local.
    private let bindsTraceContext: Bool
    // @exclusivity(unchecked) here and on Worker: loop thread only; the dynamic checks were
    // ~3 per request (callgrind).
    @exclusivity(unchecked) private var idle: [Worker] = []
    /// Requests not yet started: `queue[head...]`, oldest first. Taken ones stay until the
    /// queue empties (within the loop iteration): clearing each slot as an Optional went
    /// through generic value witnesses (~250 instructions per request, callgrind).
    @exclusivity(unchecked) private var queue: [Request] = []
    @exclusivity(unchecked) private var head = 0
    /// The worker taking requests from the queue, if any (woken or running, not suspended).
    @exclusivity(unchecked) private var drainer: Worker?
    /// Set when the loop starts shutting down: idle workers are ended, busy ones end after
    /// their request and the queue.
    @exclusivity(unchecked) private(set) var retired = false
    /// Workers whose task has not ended (any thread may read it: tests, dumps).
    let live = WorkerCount()

    private struct Request {
        var call: ThriftCall
        var context: RequestContext
    }

    init(executor: LoopExecutor, pool: RequestPool, bindsTraceContext: Bool) {
        self.executor = executor
        self.pool = pool
        self.bindsTraceContext = bindsTraceContext
        idle.reserveCapacity(64)
        queue.reserveCapacity(64)
    }

    /// Queues `call` for the request; it runs before the loop next waits for I/O.
    func run(_ call: ThriftCall, context: RequestContext) {
        queue.append(Request(call: call, context: context))
        if drainer == nil { startDrainer() }
    }

    /// Called by the loop after it ran the executor's jobs, outside any job: a drainer still
    /// inside a handler has suspended there, so another worker takes the queue. Returns true
    /// when it woke one (its job is waiting).
    func takeOver() -> Bool {
        guard let worker = drainer, worker.inHandler else { return false }
        drainer = nil
        guard head < queue.count else { return false }
        startDrainer()
        return true
    }

    /// Ends the idle workers; busy ones end after their request. Called when the loop starts
    /// shutting down, so that no task is left parked when it exits.
    func retire() {
        retired = true
        while let worker = idle.popLast() { worker.wake(false) }
    }

    private func startDrainer() {
        if let worker = idle.popLast() {
            drainer = worker
            worker.wake(true)
        } else {
            let worker = Worker(counting: live)
            drainer = worker
            worker.task = Task(executorPreference: executor) { [self] in await work(worker) }
        }
    }

    private func next() -> Request? {
        guard head < queue.count else {
            if head > 0 {
                // Every request here has run, or is still running in a suspended handler.
                for i in 0..<head { pool.recycle(&queue[i].context) }
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            return nil
        }
        head += 1
        return queue[head - 1]
    }

    /// A worker's life: drain the queue while it is the drainer; park when the queue is empty
    /// or another worker took it over.
    private func work(_ worker: Worker) async {
        while true {
            while drainer === worker, let request = next() {
                // Answered already: its deadline passed while it waited.
                if request.context.answered { continue }
                // Inline, not a function of its own: each async call costs an executor check
                // (~400 instructions, callgrind).
                if request.context.deadlineNanoseconds != nil { request.context.task = worker.task }
                worker.inHandler = true
                if bindsTraceContext {
                    // Tracing on: spans from swift-distributed-tracing in the handler join its trace.
                    await DistributedTracing.$request.withValue(request.context) {
                        await request.call.invoke(request.context, Responder(request.context))
                    }
                } else {
                    await request.call.invoke(request.context, Responder(request.context))
                }
                worker.inHandler = false
                if Task.isCancelled {
                    // Timed out: this task stays cancelled, so another worker goes on.
                    if drainer === worker { drainer = nil; if head < queue.count { startDrainer() } }
                    return
                }
                // Taken over while suspended: drain again only if no one else is.
                if drainer == nil && head < queue.count { drainer = worker }
            }
            if drainer === worker { drainer = nil }
            guard !retired, idle.count < Self.maxIdle else { return }
            let more = await withUnsafeContinuation { continuation in
                worker.park(continuation)
                idle.append(worker)
            }
            guard more else { return }
        }
    }
}

/// One worker: its task and, while parked, the continuation that wakes it.
private final class Worker: @unchecked Sendable {
    // @unchecked: used on its loop's thread only (the task prefers the loop's executor).
    private let live: WorkerCount
    @exclusivity(unchecked) var task: Task<Void, Never>?
    /// Inside a handler: if its job has returned, it suspended there.
    @exclusivity(unchecked) var inHandler = false
    @exclusivity(unchecked) private var parked: UnsafeContinuation<Bool, Never>?

    init(counting live: WorkerCount) {
        self.live = live
        live.value.add(1, ordering: .relaxed)
    }

    deinit { live.value.subtract(1, ordering: .relaxed) }

    func park(_ continuation: UnsafeContinuation<Bool, Never>) { parked = continuation }

    /// Wakes the parked worker: true to drain the queue, false to end.
    func wake(_ more: Bool) {
        parked.take()!.resume(returning: more)
    }
}

/// A count shared by a pool and its workers (a worker may outlive its pool's other owners).
final class WorkerCount: Sendable {
    let value = Atomic<Int>(0)
}
