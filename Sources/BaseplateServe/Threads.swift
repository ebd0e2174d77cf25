#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a detached OS thread (for the few blocking helpers of the serve process:
/// the second-signal watcher, the reloader). Not for request work: that runs on the loops.
func startDetachedThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    pthread_create(&thread, nil, { arg in
        Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
        return nil
    }, box)
    pthread_detach(thread)
}
