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
    // @unchecked: `local` is touched only on the loop thread (checked by bpio_loop_is_current);
    // `remote` is guarded by its mutex; `loop` is immutable.
    let loop: OpaquePointer
    private var local: [UnownedJob] = []
    private var running: [UnownedJob] = []
    private let remote = Mutex<[UnownedJob]>([])

    init(loop: OpaquePointer) {
        self.loop = loop
        local.reserveCapacity(256)
        running.reserveCapacity(256)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if bpio_loop_is_current(loop) != 0 {
            local.append(job)
        } else {
            remote.withLock { $0.append(job) }
            bpio_loop_wake(loop)
        }
    }

    /// Runs the jobs queued so far (not those they enqueue: the loop calls again, so I/O
    /// is not starved). Returns true when more work is waiting. Loop thread only.
    func drain() -> Bool {
        remote.withLock { queued in
            if !queued.isEmpty {
                local.append(contentsOf: queued)
                queued.removeAll(keepingCapacity: true)
            }
        }
        if local.isEmpty { return false }
        swap(&local, &running)
        let executor = asUnownedTaskExecutor()
        for job in running {
            job.runSynchronously(on: executor)
        }
        running.removeAll(keepingCapacity: true)
        return !local.isEmpty || !remote.withLock { $0.isEmpty }
    }
}
