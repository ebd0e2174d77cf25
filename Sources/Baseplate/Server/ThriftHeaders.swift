import CBaseplateIO

/// A request's THeader key/value headers. Names compare case-insensitively (ASCII), as
/// baseplate.py's `CaseInsensitiveDict` does. Stored as one contiguous copy of the bytes in
/// THeader's own layout, so a request's headers cost one allocation and one copy however many
/// it has.
public struct ThriftHeaders: @unchecked Sendable, Sequence {
    // @unchecked: the storage is a class (ManagedBuffer is not Sendable), shared between copies
    // only while no copy writes (`append` replaces a shared buffer before writing).
    /// [varint key length][key][varint value length][value]... in wire order, as in a THeader
    /// key/value block; nil when empty.
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

    /// A request frame's headers.
    init(_ frame: bpio_frame) {
        self.init()
        replace(with: frame)
    }

    /// Becomes a request frame's headers, in this buffer when it is ours and large enough (a
    /// recycled request's: see `RequestPool`).
    mutating func replace(with frame: bpio_frame) {
        count = 0
        // Written over only when no copy shares it, and not kept when large (a recycled
        // request would hold on to it).
        // `capacity` asks malloc (malloc_usable_size): read once.
        var room = 0
        if storage != nil {
            room = isKnownUniquelyReferenced(&storage) ? storage!.capacity : 0
            if room == 0 || room > 4096 { (storage, room) = (nil, 0) }
        }
        storage?.header = 0
        let count = Int(frame.header_count)
        guard count > 0, let headers = frame.headers else { return }
        guard let block = frame.header_block else {
            // Several key/value blocks (rare): header by header.
            for i in 0..<count {
                let h = headers[i]
                append(UnsafeBufferPointer(start: h.key, count: Int(h.key_len)),
                       UnsafeBufferPointer(start: h.value, count: Int(h.value_len)))
            }
            return
        }
        // The wire's block as it is: one memcpy, where copying header by header into another
        // layout cost ~630 instructions for baseplate.py's six headers (callgrind).
        let length = frame.header_block_len
        if room < length { storage = HeaderBytes.make(capacity: length) }
        storage!.withUnsafeMutablePointers { used, bytes in
            bytes.update(from: block, count: length)
            used.pointee = length
        }
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
        let extra = Varint.length(UInt64(key.count)) + key.count + Varint.length(UInt64(value.count)) + value.count
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
                p += Varint.put(UInt64(field.count), at: p)
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

    /// Walks the storage ([varint length][bytes] for each name, then its value) without copying.
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

        /// The storage holds whole varints (the C core checked the wire's, `append` wrote the rest).
        private mutating func field() -> UnsafeBufferPointer<UInt8> {
            var n = 0, shift = 0
            while true {
                let byte = bytes[offset]
                offset += 1
                n |= Int(byte & 0x7F) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            defer { offset += n }
            return UnsafeBufferPointer(rebasing: bytes[offset..<(offset + n)])
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

    /// The raw storage ([varint length][bytes] per name and value), for one-pass scanners.
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
