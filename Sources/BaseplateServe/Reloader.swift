import Baseplate
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `--reload` (development): every 0.25 s, compare the modification times of the config file
/// and this executable; when one grows, re-exec the process with the same arguments.
enum Reloader {
    static func start(watching files: [String], logger: Logger) {
        let paths = files + ["/proc/self/exe"]
        BackgroundThread.start { watch(paths: paths, logger: logger) }
    }

    private static func watch(paths: [String], logger: Logger) {
        let start = paths.map(mtime)
        while true {
            usleep(250_000)
            if let changed = zip(paths, start).first(where: { mtime($0.0) > $0.1 }) {
                logger.info("\(changed.0) changed; reloading")
                reexec()
            }
        }
    }

    private static func mtime(_ path: String) -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { return 0 }
        return st.st_mtim.tv_sec * 1_000_000_000 + st.st_mtim.tv_nsec
    }

    private static func reexec() {
        var args = CommandLine.arguments.map { strdup($0) }
        args.append(nil)
        execv("/proc/self/exe", &args)
        _exit(1)
    }
}
