import CBaseplateIO
#if canImport(Glibc)
import Glibc
#endif

/// A detached OS thread running a closure, for the few long-running helpers (span recorder,
/// runtime monitor, Prometheus exporter, the serve process's signal watcher and reloader).
/// Never for request work: that runs on the loops. No Foundation in these modules.
package enum BackgroundThread {
    private final class Box {
        let name: String?
        let body: @Sendable () -> Void
        init(name: String?, body: @escaping @Sendable () -> Void) { (self.name, self.body) = (name, body) }
    }

    /// Starts `body` on its own thread, named `name` (shown by top -H, ps -L) if given. The
    /// signal mask is the creator's: baseplate-serve blocks its shutdown signals before any
    /// thread starts.
    package static func start(name: String? = nil, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            if let name = box.name { bpio_thread_set_name(name) }
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }
}
