/// The bytes a writer produces. The array is kept longer than what is written (zero-filled
/// ahead, doubling), so a write is one bounds check and plain stores: `Array.append` costs ~50
/// instructions per 8-byte value even inlined, this ~6 (callgrind; S3's 32 `writeI64` per
/// request, perf/RESULTS.md).
@usableFromInline
struct OutputBytes {
    @usableFromInline var storage: [UInt8]
    /// How many of `storage`'s bytes are written.
    @usableFromInline var count: Int

    @usableFromInline
    init(_ initial: [UInt8]) {
        storage = initial
        count = initial.count
    }

    /// Writes from the start of `buffer`, over what it holds: its length is room to write
    /// in (a reused scratch buffer, kept at full length, never grows on a small message).
    init(reusing buffer: [UInt8]) {
        storage = buffer
        count = 0
    }

    /// The buffer and how much of it is written (for a reused buffer: no copy, no truncation).
    consuming func take() -> (buffer: [UInt8], count: Int) { (storage, count) }

    /// What is written, as its own array (a copy).
    var written: [UInt8] { Array(storage[..<count]) }

    /// What is written, in the storage itself (no copy): the writer is done with it.
    consuming func finish() -> [UInt8] {
        storage.removeLast(storage.count - count)
        return storage
    }

    @inlinable
    mutating func reserve(_ n: Int) {
        if count + n > storage.count { grow(n) }
    }

    @usableFromInline
    mutating func grow(_ n: Int) {
        storage.append(contentsOf: repeatElement(0, count: Swift.max(storage.count, n, 64)))
    }

    @inlinable
    mutating func append(_ byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    /// `value`'s bytes in memory order (callers pass `.bigEndian` or `.littleEndian`).
    @inlinable
    mutating func append<T: FixedWidthInteger>(raw value: T) {
        let n = MemoryLayout<T>.size
        reserve(n)
        let at = count
        storage.withUnsafeMutableBytes { $0.storeBytes(of: value, toByteOffset: at, as: T.self) }
        count = at + n
    }

    /// Lets `body` write up to `n` bytes in place and return how many it wrote (0: none, so it
    /// may give up half way). One uniqueness check for all of them, where byte appends pay one
    /// each.
    @inlinable
    mutating func write(upTo n: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(n)
        let at = count
        let written = storage.withUnsafeMutableBufferPointer { body($0.baseAddress! + at) }
        count = at + written
    }

    @inlinable
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        guard n > 0 else { return }
        reserve(n)
        let at = count
        storage.withUnsafeMutableBufferPointer { out in
            UnsafeMutableRawPointer(out.baseAddress! + at).copyMemory(from: bytes.baseAddress!, byteCount: n)
        }
        count = at + n
    }

    /// Each value's `bits` (already in wire byte order), all in one write: one check for room
    /// where a write per element checks each time (lists of i32, i64, double).
    @inlinable
    mutating func appendEach<E, T: FixedWidthInteger>(_ values: [E], _ bits: (E) -> T) {
        guard !values.isEmpty else { return }
        let size = MemoryLayout<T>.size
        write(upTo: values.count * size) { p in
            let raw = UnsafeMutableRawPointer(p)
            for i in values.indices { raw.storeBytes(of: bits(values[i]), toByteOffset: i * size, as: T.self) }
            return values.count * size
        }
    }

    @inlinable
    mutating func append(contentsOf bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { append(contentsOf: $0) }
        if done == nil {
            reserve(bytes.count)
            for byte in bytes { append(byte) }
        }
    }
}

/// Where text-protocol writers (statsd lines) put bytes: a plain array, or `OutputBytes` where
/// the bytes are kept (the loop's statsd datagram).
protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>)
}

extension OutputBytes: ByteSink {}
extension Array: ByteSink where Element == UInt8 {}
