import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The per-thread storage behind a registry's metrics.
///
/// Every series owns a few consecutive "words" (a counter one, a histogram one per bucket plus
/// its sum), numbered by the registry. Each thread that records gets its own copy of the word
/// space (a shard), so the request path writes only memory no other thread writes: a plain
/// load and store, no lock, no read-modify-write atomic, no shared cache line. A scrape sums a
/// word over all shards. Words are atomics accessed with relaxed ordering only so that the
/// scraping thread's reads are defined (they compile to ordinary moves).
///
/// A shard is a table of lazily allocated pages, so series can be added at any time without
/// moving memory a scrape may be reading. Shards are never freed: a thread that exits hands its
/// shard (and the counts in it) to the next thread that needs one.
final class MetricShards: @unchecked Sendable {
    // @unchecked: `key` is immutable; `registry` is guarded by its Mutex; the word memory is
    // written by one thread at a time (the shard's owner) through atomics.

    typealias Word = Atomic<UInt64>
    typealias Table = UnsafeMutablePointer<Atomic<UInt>>

    static let pageShift = 9
    static let pageWords = 1 << pageShift
    static let maxPages = 2048
    /// Words a registry can number: 1M (8 MiB per shard if all were used).
    static let capacity = pageWords * maxPages

    /// The thread's shard: a `Table`, found with one `pthread_getspecific`.
    let key: pthread_key_t
    /// Every shard's table and the ones free for reuse, by address (pointers are not Sendable).
    private let registry = Mutex<(all: [UInt], free: [UInt])>(([], []))

    init() {
        var key = pthread_key_t()
        // On thread exit the shard goes back to its set's free list; the set is found through
        // a table of live sets because a C destructor captures nothing.
        let rc = pthread_key_create(&key) { value in
            guard let value else { return }
            let table = value.assumingMemoryBound(to: Atomic<UInt>.self)
            MetricShards.owner(of: table)?.release(table)
        }
        precondition(rc == 0, "pthread_key_create failed: \(rc)")
        self.key = key
    }

    /// The calling thread's table, made (or recycled) on the thread's first use.
    @inline(__always)
    func current() -> Table { ShardRef(self).current() }

    @inline(never)
    fileprivate func attach() -> Table {
        let address = registry.withLock { state -> UInt in
            if let reused = state.free.popLast() { return reused }
            let table = Table.allocate(capacity: Self.maxPages)
            for i in 0..<Self.maxPages { (table + i).initialize(to: Atomic(0)) }
            state.all.append(UInt(bitPattern: table))
            return UInt(bitPattern: table)
        }
        let table = Table(bitPattern: address)!
        Self.owners.withLock { $0[address] = self }
        pthread_setspecific(key, table)
        return table
    }

    private func release(_ table: Table) {
        registry.withLock { $0.free.append(UInt(bitPattern: table)) }
    }

    /// Adds `delta` to a word of the calling thread's shard (double-valued).
    @inline(__always)
    static func add(_ table: Table, _ word: Int, _ delta: Double) {
        let w = wordPointer(table, word)
        w.pointee.store((Double(bitPattern: w.pointee.load(ordering: .relaxed)) + delta).bitPattern, ordering: .relaxed)
    }

    @inline(__always)
    static func wordPointer(_ table: Table, _ word: Int) -> UnsafeMutablePointer<Word> {
        let address = table[word >> pageShift].load(ordering: .relaxed)
        let page = address != 0 ? UnsafeMutablePointer<Word>(bitPattern: address)! : allocatePage(table, word >> pageShift)
        return page + (word & (pageWords - 1))
    }

    @inline(never)
    private static func allocatePage(_ table: Table, _ index: Int) -> UnsafeMutablePointer<Word> {
        let page = UnsafeMutablePointer<Word>.allocate(capacity: pageWords)
        for i in 0..<pageWords { (page + i).initialize(to: Atomic(0)) }
        // Releasing: a scraper that sees the page also sees it zeroed.
        table[index].store(UInt(bitPattern: page), ordering: .releasing)
        return page
    }

    /// The sum of a word over every shard (any thread; values written concurrently may or may
    /// not be included, each word is read whole).
    func sum(_ word: Int) -> Double {
        registry.withLock { state in
            var total = 0.0
            for table in state.all { total += Self.read(Table(bitPattern: table)!, word) }
            return total
        }
    }

    /// Sums `count` consecutive words over every shard into `into` (one lock for the lot).
    func sum(_ word: Int, count: Int, into: inout [Double]) {
        into = [Double](repeating: 0, count: count)
        registry.withLock { state in
            for address in state.all {
                let table = Table(bitPattern: address)!
                for i in 0..<count { into[i] += Self.read(table, word + i) }
            }
        }
    }

    private static func read(_ table: Table, _ word: Int) -> Double {
        let address = table[word >> pageShift].load(ordering: .acquiring)
        guard address != 0 else { return 0 }
        let page = UnsafeMutablePointer<Word>(bitPattern: address)!
        return Double(bitPattern: page[word & (pageWords - 1)].load(ordering: .relaxed))
    }

    // Which set a table belongs to, for the thread-exit destructor.
    private static let owners = Mutex<[UInt: MetricShards]>([:])
    private static func owner(of table: Table) -> MetricShards? {
        owners.withLock { $0[UInt(bitPattern: table)] }
    }
}

/// What a metric handle keeps to find the calling thread's shard: the thread-local key and the
/// set, unretained, so recording does no reference counting (a set lives as long as its
/// registry, which lives as long as the process once it has families).
struct ShardRef: @unchecked Sendable {
    // @unchecked: both fields are immutable; MetricShards is thread-safe.
    let key: pthread_key_t
    let owner: Unmanaged<MetricShards>

    init(_ shards: MetricShards) {
        key = shards.key
        owner = .passUnretained(shards)
    }

    @inline(__always)
    func current() -> MetricShards.Table {
        if let value = pthread_getspecific(key) {
            return value.assumingMemoryBound(to: Atomic<UInt>.self)
        }
        return owner._withUnsafeGuaranteedRef { $0.attach() }
    }

    var shards: MetricShards { owner.takeUnretainedValue() }
}
