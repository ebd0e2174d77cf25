#if canImport(Glibc)
import Glibc
#endif

/// The signals baseplate-serve handles, and the waiting for them. They are blocked in every
/// thread and taken synchronously with sigwait, so no handler runs in signal context.
enum Signals {
    /// SIGTERM (Kubernetes), SIGINT (Ctrl-C), SIGUSR2 (Einhorn) shut down; SIGUSR1 dumps state.
    static let shutdown: [Int32] = [SIGTERM, SIGINT, SIGUSR2]
    static let all: [Int32] = shutdown + [SIGUSR1]

    static func set() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for s in all { sigaddset(&set, s) }
        return set
    }

    static func block() {
        var s = set()
        pthread_sigmask(SIG_BLOCK, &s, nil)
    }

    /// Waits for one of the signals; nil when `timeout` passes first (nil timeout: forever).
    static func wait(timeout: Duration? = nil) -> Int32? {
        var s = set()
        if let timeout {
            let (sec, atto) = timeout.components
            var ts = timespec(tv_sec: Int(sec), tv_nsec: Int(atto / 1_000_000_000))
            while true {
                let sig = sigtimedwait(&s, nil, &ts)
                if sig > 0 { return sig }
                if errno == EAGAIN { return nil }
                // EINTR: wait again (the remaining time is not tracked; good enough for a drain)
            }
        }
        var sig: Int32 = 0
        while sigwait(&s, &sig) != 0 {}
        return sig
    }

    static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGUSR1: "SIGUSR1"
        case SIGUSR2: "SIGUSR2"
        default: "signal \(sig)"
        }
    }
}
