#if canImport(Glibc)
import Glibc
#endif

/// A `PROMETHEUS_MULTIPROC_DIR`: every process sharing the exporter port writes its values to
/// its own files there, and whichever process answers a scrape merges all the files.
///
/// Values are copied from the registry into the files by `flush` (the exporter calls it every
/// second and before answering a scrape), never on the request path, so another process's
/// values can be up to a second old in a scrape.
final class MultiprocessDirectory {
    let path: String
    /// This process's id in file names and `pid` labels: `MULTIPROCESS_WORKER_ID`, else the pid
    /// (as baseplate.py's `worker_id()`).
    let workerID: String
    private var files: [RawSample.FileType: MultiprocessFile] = [:]

    init(path: String, workerID: String) {
        self.path = path
        self.workerID = workerID
    }

    static func workerID(environment: [String: String]) -> String {
        environment["MULTIPROCESS_WORKER_ID"] ?? String(getpid())
    }

    /// Writes the registry's current values to this process's files.
    func flush(_ registry: MetricsRegistry) throws(PrometheusError) {
        for sample in registry.rawSamples() {
            try file(sample.type).write(key: sample.key, value: sample.value)
        }
    }

    private func file(_ type: RawSample.FileType) throws(PrometheusError) -> MultiprocessFile {
        if let file = files[type] { return file }
        // Counts left by an earlier process with this id carry over (prometheus_client does the
        // same); gauges of a dead process must not.
        let keep = if case .gauge = type { false } else { true }
        let file = try MultiprocessFile(path: "\(path)/\(type.prefix)_\(workerID).db", keepValues: keep)
        files[type] = file
        return file
    }

    /// prometheus_client's `mark_process_dead` for this process: its live gauges go away (at a
    /// clean exit; a killed process's are skipped by `collect`'s liveness check instead).
    func markDead() {
        for (type, file) in files where type == .gauge(.livesum) { unlink(file.path) }
        files[.gauge(.livesum)] = nil
    }

    /// Every process's samples in the directory.
    func collect() -> [Exposition.Source] {
        Self.collect(path: path)
    }

    static func collect(path: String) -> [Exposition.Source] {
        guard let dir = opendir(path) else { return [] }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".db") { names.append(name) }
        }
        closedir(dir)
        var sources: [Exposition.Source] = []
        for name in names.sorted() {
            // prometheus_client's naming: <type>_<id>.db, gauges <gauge>_<mode>_<id>.db.
            let parts = name.dropLast(3).split(separator: "_", omittingEmptySubsequences: false).map(String.init)
            let type: RawSample.FileType?
            let pid: String
            if parts.first == "gauge", parts.count >= 3 {
                type = RawSample.FileType(prefix: "gauge_" + parts[1])
                pid = parts[2]
                // A dead process's gauges are stale (the count of its requests in flight
                // when it died); numeric ids are checked, others trusted.
                if let n = Int32(pid), n > 0, kill(n, 0) != 0, errno == ESRCH { continue }
            } else if parts.count >= 2 {
                type = RawSample.FileType(prefix: parts[0])
                pid = parts[1]
            } else {
                continue
            }
            guard let type, let entries = MultiprocessFile.read(path: "\(path)/\(name)") else { continue }
            let samples = entries.compactMap { RawSample(key: $0.key, type: type, value: $0.value) }
            sources.append(Exposition.Source(pid: pid, samples: samples))
        }
        return sources
    }
}
