import CBaseplateIO
import Synchronization

/// Runs Swift tasks on one event loop's thread: the loop is the task executor.
///
/// The execution model: a request's handler task prefers this executor, so it starts on the loop
/// thread that read the request, and every resumption after an `await` comes back here. The
/// common case (a handler that finishes without suspending, or suspends only on work of its own
/// loop) never crosses threads. Work that completes on another thread (a continuation resumed
/// elsewhere, a hop back from an actor) enqueues its job from there: the job goes into a
/// mutex-guarded queue and `bpio_loop_wake` (an `ev_async`) makes the loop drain it.
///
/// Jobs enqueued on the loop thread go into a plain array without locking. The loop drains both
/// queues before it sleeps (`on_drain`), then writes the replies those jobs produced.
final class LoopExecutor: TaskExecutor, @unchecked Sendable {
    // @exclusivity(unchecked) on hot fields: one thread uses them (as below), and the dynamic
    // exclusivity checks cost ~1,000 instructions per request (callgrind).
    // @unchecked: `local` is touched only on the loop thread (checked by bpio_loop_is_current);
    // `remote` is guarded by its mutex; `loop` is immutable.
    let loop: OpaquePointer
    @exclusivity(unchecked) private var local: [UnownedJob] = []
    @exclusivity(unchecked) private var running: [UnownedJob] = []
    private let remote = Mutex<Remote>(Remote())

    private struct Remote {
        var jobs: [UnownedJob] = []
        /// The loop is gone (server shut down and freed): jobs for it are dropped, never run.
        var closed = false
    }

    init(loop: OpaquePointer) {
        self.loop = loop
        local.reserveCapacity(256)
        running.reserveCapacity(256)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // Compared by address (a thread-local read), not by asking the loop: it may be freed.
        if bpio_loop_current() == loop {
            local.append(job)
        } else {
            // Woken under the lock, so `close` cannot free the loop in between.
            remote.withLock { remote in
                guard !remote.closed else { return }  // a task outliving its server
                remote.jobs.append(job)
                bpio_loop_wake(loop)
            }
        }
    }

    /// Called once the loop has exited, before it is freed.
    func close() {
        remote.withLock { $0.closed = true }
    }

    /// Runs the jobs queued so far (not those they enqueue: the loop calls again, so I/O
    /// is not starved). Returns true when more work is waiting. Loop thread only.
    func drain() -> Bool {
        remote.withLock { remote in
            if !remote.jobs.isEmpty {
                local.append(contentsOf: remote.jobs)
                remote.jobs.removeAll(keepingCapacity: true)
            }
        }
        if local.isEmpty { return false }
        swap(&local, &running)
        let executor = asUnownedTaskExecutor()
        for job in running {
            job.runSynchronously(on: executor)
        }
        running.removeAll(keepingCapacity: true)
        return !local.isEmpty || !remote.withLock { $0.jobs.isEmpty }
    }
}
