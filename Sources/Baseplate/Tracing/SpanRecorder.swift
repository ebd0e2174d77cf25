import CBaseplateIO
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where finished spans go, on the recorder's thread (never on an event loop).
protocol SpanSink: Sendable {
    /// Largest batch handed to `flush` at once.
    var maxBatch: Int { get }
    func flush(_ spans: ArraySlice<ZipkinSpan>)
}

/// Takes finished spans from the event loops and hands them to a sink on one background
/// thread. Loops only append to a bounded list under a mutex held for a few instructions; a
/// full list drops the span and counts it, so a slow sink never blocks or grows a loop.
final class SpanRecorder: Sendable {
    private struct Pending {
        var spans: [ZipkinSpan] = []
        var dropped = 0
    }

    private let pending = Mutex(Pending())
    private let capacity: Int
    private let interval: Duration
    private let sink: any SpanSink
    private let logger: Logger
    /// Spans dropped because the list was full, since the start (for tests and dumps).
    let droppedTotal = Atomic<Int>(0)

    init(sink: any SpanSink, capacity: Int, interval: Duration, logger: Logger) {
        self.sink = sink
        self.capacity = max(1, capacity)
        self.interval = interval
        self.logger = logger
    }

    /// Starts the background thread (once). The thread lives as long as the process.
    func start() {
        BackgroundThread.start(name: "span-recorder") { [self] in run() }
    }

    /// Called on an event loop when a sampled span finishes.
    func record(_ span: ZipkinSpan) {
        let accepted = pending.withLock { p in
            guard p.spans.count < capacity else {
                p.dropped += 1
                return false
            }
            p.spans.append(span)
            return true
        }
        if !accepted { droppedTotal.add(1, ordering: .relaxed) }
    }

    /// baseplate.py's batch recorder: flush whatever is waiting, in batches; sleep the batch
    /// interval when nothing is.
    private func run() -> Never {
        var batch: [ZipkinSpan] = []
        while true {
            if !flushPending(&batch, pace: Self.pace) { interval.sleepThread() }
        }
    }

    /// The pause between the sink's batches of one flush. Without it, a flush after the
    /// interval (thousands of spans under load) was one burst of tens of milliseconds that an
    /// event loop sharing the CPU waited through: sampled spans at 10 % doubled the server's
    /// p99 (perf/RESULTS.md). Paced, a loop waits for at most one batch of 100.
    static let pace: Duration = .milliseconds(1)

    private let lastDropWarning = Mutex<ContinuousClock.Instant?>(nil)

    /// Hands every waiting span to the sink (on the caller's thread: the recorder's, or a
    /// test's), sleeping `pace` between the sink's batches. `batch` is scratch storage reused
    /// between calls. Returns whether there were any.
    @discardableResult
    func flushPending(_ batch: inout [ZipkinSpan], pace: Duration? = nil) -> Bool {
        var dropped = 0
        pending.withLock { p in
            swap(&batch, &p.spans)
            dropped = p.dropped
            p.dropped = 0
        }
        if dropped > 0 {
            let now = ContinuousClock.now
            let warn = lastDropWarning.withLock { last in
                guard last.map({ now - $0 >= .seconds(10) }) ?? true else { return false }
                last = now
                return true
            }
            if warn {
                logger.warning("Failed adding span to recording queue: queue full", metadata: [
                    "dropped": "\(dropped)", "max_span_queue_size": "\(capacity)",
                ])
            }
        }
        guard !batch.isEmpty else { return false }
        var start = batch.startIndex
        while start < batch.endIndex {
            let end = min(start + sink.maxBatch, batch.endIndex)
            sink.flush(batch[start..<end])
            start = end
            if let pace, start < batch.endIndex { pace.sleepThread() }
        }
        // Keep a modest buffer for the next swap; let a burst's big one go.
        batch.removeAll(keepingCapacity: batch.capacity <= 4096)
        return true
    }
}

/// Wall-clock microseconds since the epoch, as baseplate.py's `current_epoch_microseconds`.
func epochMicroseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
}
