#if canImport(Glibc)
import Glibc
#endif

/// One process's values file in a `PROMETHEUS_MULTIPROC_DIR`, in prometheus_client's format
/// (`mmap_dict.py`), so that its `MultiProcessCollector` and ours read each other's files:
///
///     u32 used | 4 bytes padding | entries...
///     entry: i32 key length | UTF-8 key, space-padded so the next field is 8-aligned
///            (always 1 to 8 bytes) | f64 value | f64 timestamp (0: unused by these types)
///
/// Only the owning process writes it, by whole aligned 8-byte stores into a shared mapping; a
/// new entry is written before `used` is raised over it, so readers never see half an entry.
final class MultiprocessFile {
    static let initialSize = 1 << 16

    let path: String
    private let fd: Int32
    private var map: UnsafeMutableRawPointer
    private var capacity: Int
    private var used: Int
    private var positions: [String: Int] = [:]
    /// Values already in the file when it was opened (a previous process with this id): added
    /// to ours, as prometheus_client carries a worker id's counts over.
    private var base: [String: Double] = [:]

    /// Opens (creating if needed) the file; with `keepValues` false, old contents are dropped.
    init(path: String, keepValues: Bool) throws(PrometheusError) {
        self.path = path
        if !keepValues { unlink(path) }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PrometheusError("cannot open \(path): \(errnoText())") }
        var st = stat()
        fstat(fd, &st)
        capacity = Int(st.st_size)
        if capacity < 8 {
            capacity = Self.initialSize
            guard ftruncate(fd, off_t(capacity)) == 0 else {
                close(fd)
                throw PrometheusError("cannot size \(path): \(errnoText())")
            }
        }
        guard let m = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), m != MAP_FAILED else {
            close(fd)
            throw PrometheusError("cannot map \(path): \(errnoText())")
        }
        map = m
        used = Int(map.load(as: UInt32.self))
        if used < 8 || used > capacity {
            used = 8
            map.storeBytes(of: UInt32(8), as: UInt32.self)
        } else {
            for entry in Self.entries(UnsafeRawBufferPointer(start: map, count: used)) {
                positions[entry.key] = entry.position
                base[entry.key] = entry.value
            }
        }
    }

    deinit {
        munmap(map, capacity)
        close(fd)
    }

    /// Writes `value` (plus the carried-over base) under `key`, adding the entry if new.
    func write(key: String, value: Double) {
        let position = positions[key] ?? append(key)
        guard position > 0 else { return }
        (map + position).storeBytes(of: (value + (base[key] ?? 0)).bitPattern, as: UInt64.self)
    }

    private func append(_ key: String) -> Int {
        let bytes = Array(key.utf8)
        let padded = bytes.count + (8 - (bytes.count + 4) % 8)
        let size = 4 + padded + 16
        while used + size > capacity {
            let grown = capacity * 2
            guard ftruncate(fd, off_t(grown)) == 0,
                  let m = mmap(nil, grown, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), m != MAP_FAILED else { return 0 }
            munmap(map, capacity)
            map = m
            capacity = grown
        }
        let entry = map + used
        entry.storeBytes(of: Int32(bytes.count), as: Int32.self)
        bytes.withUnsafeBytes { (entry + 4).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        for i in bytes.count..<padded { (entry + 4 + i).storeBytes(of: 0x20, as: UInt8.self) }
        (entry + 4 + padded).storeBytes(of: UInt64(0), as: UInt64.self)
        (entry + 4 + padded + 8).storeBytes(of: UInt64(0), as: UInt64.self)
        let position = used + 4 + padded
        used += size
        map.storeBytes(of: UInt32(used), as: UInt32.self)
        positions[key] = position
        return position
    }

    struct Entry {
        var key: String
        var value: Double
        var position: Int
    }

    /// The entries in `data` (a whole file or its used prefix). Stops at the first entry that
    /// does not fit: a damaged file yields what precedes the damage, never a crash.
    static func entries(_ data: UnsafeRawBufferPointer) -> [Entry] {
        guard data.count >= 8 else { return [] }
        let used = min(Int(data.loadUnaligned(as: UInt32.self)), data.count)
        var pos = 8
        var out: [Entry] = []
        while pos + 4 <= used {
            let length = Int(data.loadUnaligned(fromByteOffset: pos, as: Int32.self))
            guard length >= 0, pos + 4 + length <= used else { break }
            let key = String(decoding: data[(pos + 4)..<(pos + 4 + length)], as: UTF8.self)
            let valueAt = pos + 4 + length + (8 - (length + 4) % 8)
            guard valueAt + 16 <= used else { break }
            out.append(Entry(key: key, value: data.loadUnaligned(fromByteOffset: valueAt, as: Double.self), position: valueAt))
            pos = valueAt + 16
        }
        return out
    }

    /// Reads a file written by any process (ours or Python's), with `read` rather than a
    /// mapping, as prometheus_client does. nil if it cannot be read (gone: a process that
    /// just exited).
    static func read(path: String) -> [Entry]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Glibc.read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            data += chunk[0..<n]
            if data.count >= 4, data.count >= Int(data.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }) { break }
        }
        return data.withUnsafeBytes { entries($0) }
    }
}

/// A Prometheus set-up or I/O failure (exporter bind, multiprocess directory).
public struct PrometheusError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

func errnoText() -> String { String(cString: strerror(errno)) }
