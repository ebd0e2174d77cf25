import CBaseplateIO

/// A request's THeader key/value headers. Names compare case-insensitively (ASCII), as
/// baseplate.py's `CaseInsensitiveDict` does. Stored as one contiguous copy of the bytes, so a
/// request with headers costs one allocation however many it has.
public struct ThriftHeaders: @unchecked Sendable, Sequence {
    // @unchecked: the storage is a class (ManagedBuffer is not Sendable), shared between copies
    // only while no copy writes (`append` replaces a shared buffer before writing).
    /// [u32 key length][key][u32 value length][value]... in wire order; nil when empty.
    private var storage: HeaderBytes?
    public private(set) var count: Int

    public init() {
        storage = nil
        count = 0
    }

    public init(_ pairs: [(String, [UInt8])]) {
        self.init()
        for (k, v) in pairs { append(Array(k.utf8), v) }
    }

    init(_ headers: UnsafePointer<bpio_header>?, count: Int) {
        self.init()
        guard let headers, count > 0 else { return }
        var total = 0
        for i in 0..<count { total += 8 + Int(headers[i].key_len) + Int(headers[i].value_len) }
        // One allocation, filled with memcpy: this runs for every request that has headers.
        let storage = HeaderBytes.make(capacity: total)
        storage.withUnsafeMutablePointers { used, bytes in
            var p = UnsafeMutableRawPointer(bytes)
            func put(_ bytes: UnsafePointer<UInt8>?, _ length: UInt32) {
                p.storeBytes(of: length, as: UInt32.self)
                if let bytes, length > 0 { p.advanced(by: 4).copyMemory(from: bytes, byteCount: Int(length)) }
                p = p.advanced(by: 4 + Int(length))
            }
            for i in 0..<count {
                put(headers[i].key, headers[i].key_len)
                put(headers[i].value, headers[i].value_len)
            }
            used.pointee = total
        }
        self.storage = storage
        self.count = count
    }

    /// Adds a header (after any with the same name, which lookups find first).
    public mutating func add(_ name: String, _ value: String) {
        append(name.utf8, value.utf8)
    }

    public mutating func add(_ name: String, bytes value: [UInt8]) {
        append(name.utf8, value)
    }

    private mutating func append(_ key: some Collection<UInt8>, _ value: some Collection<UInt8>) {
        let extra = 8 + key.count + value.count
        let used = storage?.header ?? 0
        // Copy on write: a shared or full buffer is replaced by a bigger one of our own.
        if storage == nil || !isKnownUniquelyReferenced(&storage) || storage!.capacity < used + extra {
            let grown = HeaderBytes.make(capacity: Swift.max(used + extra, 2 * used, 64))
            withBytes { old in
                grown.withUnsafeMutablePointers { n, bytes in
                    if let base = old.baseAddress { bytes.update(from: base, count: old.count) }
                    n.pointee = old.count
                }
            }
            storage = grown
        }
        storage!.withUnsafeMutablePointers { n, bytes in
            var p = bytes + n.pointee
            // Written in place: outbound calls add their trace headers this way, per call.
            func put(_ field: some Collection<UInt8>) {
                UnsafeMutableRawPointer(p).storeBytes(of: UInt32(field.count), as: UInt32.self)
                p += 4
                for byte in field {
                    p.pointee = byte
                    p += 1
                }
            }
            put(key)
            put(value)
            n.pointee += extra
        }
        count += 1
    }

    /// The storage's bytes (empty when there are no headers).
    private func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        guard let storage else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try storage.withUnsafeMutablePointers { n, bytes in
            try body(UnsafeBufferPointer(start: bytes, count: n.pointee))
        }
    }

    /// The raw value of the first header named `name` (any case).
    public subscript(name: String) -> [UInt8]? {
        withValue(of: name) { Array($0) }
    }

    /// The value of `name` as UTF-8 text.
    public func string(_ name: String) -> String? {
        withValue(of: name) { String(decoding: $0, as: UTF8.self) }
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: [UInt8])]> {
        var out: [(name: String, value: [UInt8])] = []
        forEach { key, value in out.append((String(decoding: key, as: UTF8.self), Array(value))) }
        return out.makeIterator()
    }

    /// Calls `body` with each header's name and value, in wire order, without copying them.
    public func forEach(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try withBytes { bytes in
            var entries = RawEntries(bytes)
            while let (name, value) = entries.next() { try body(name, value) }
        }
    }

    /// `body` applied to the first value named `name` (any case), scanned in place: lookups
    /// run for every request, so they allocate nothing but their result.
    public func withValue<T>(of name: String, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T? {
        guard count > 0 else { return nil }
        var name = name
        return name.withUTF8 { wanted -> T? in
            withBytes { bytes -> T? in
                var entries = RawEntries(bytes)
                while let (key, value) = entries.next() {
                    if Self.equalsIgnoringCase(key, wanted) { return body(value) }
                }
                return nil
            }
        }
    }

    /// Walks the storage ([u32 length][bytes] for each name, then its value) without copying.
    /// A plain iterator rather than a closure per entry, so one-pass scanners can keep their
    /// results in locals (captured ones cost exclusivity checks per header).
    struct RawEntries: IteratorProtocol {
        private let bytes: UnsafeBufferPointer<UInt8>
        private var offset = 0

        init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func next() -> (name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)? {
            guard offset < bytes.count else { return nil }
            let name = field()
            return (name, field())
        }

        private mutating func field() -> UnsafeBufferPointer<UInt8> {
            let n = Int(UnsafeRawPointer(bytes.baseAddress! + offset).loadUnaligned(as: UInt32.self))
            defer { offset += 4 + n }
            return UnsafeBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 4 + n)])
        }
    }

    /// ASCII case-insensitive equality of two header names.
    static func equalsIgnoringCase(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count {
            let x = a[i], y = b[i]
            if x == y { continue }
            let lx = (x >= 65 && x <= 90) ? x | 0x20 : x
            let ly = (y >= 65 && y <= 90) ? y | 0x20 : y
            if lx != ly { return false }
        }
        return true
    }
}

extension ThriftHeaders {
    /// Headers to send with outbound calls made by the current task (trace propagation sets
    /// them; see the observability layer). nil: none.
    @TaskLocal public static var outgoing: ThriftHeaders?

    /// The headers as C structs pointing into this value's storage, valid inside `body`.
    func withCHeaders<T>(_ body: (UnsafeBufferPointer<bpio_header>) -> T) -> T {
        withBytes { bytes in
            var hs: [bpio_header] = []
            hs.reserveCapacity(count)
            var entries = RawEntries(bytes)
            while let (key, value) = entries.next() {
                hs.append(bpio_header(key: key.baseAddress, value: value.baseAddress,
                                      key_len: UInt32(key.count), value_len: UInt32(value.count)))
            }
            return hs.withUnsafeBufferPointer(body)
        }
    }

    /// The raw storage ([u32 length][bytes] per name and value), for one-pass scanners.
    func withStorage<T>(_ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        withBytes(body)
    }
}

/// ThriftHeaders' bytes, with the count in use as the header. A class of its own rather than
/// [UInt8]: allocating an array looks up its storage type's generic metadata each time (~300
/// instructions per request, callgrind), a concrete class does not.
private final class HeaderBytes: ManagedBuffer<Int, UInt8> {
    static func make(capacity: Int) -> HeaderBytes {
        unsafeDowncast(create(minimumCapacity: capacity) { _ in 0 }, to: HeaderBytes.self)
    }
}
