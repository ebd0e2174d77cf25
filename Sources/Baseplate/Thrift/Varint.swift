/// Base-128 varints, low bits first: the compact protocol's integers and THeader's lengths.
@usableFromInline
enum Varint {
    /// How many bytes `value` takes.
    static func length(_ value: UInt64) -> Int {
        var n = 1, v = value
        while v >= 0x80 {
            v >>= 7
            n += 1
        }
        return n
    }

    /// `value` at `p` (room for 10 bytes); returns its length.
    @usableFromInline
    static func put(_ value: UInt64, at p: UnsafeMutablePointer<UInt8>) -> Int {
        var v = value, n = 0
        while v >= 0x80 {
            p[n] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            n += 1
        }
        p[n] = UInt8(v)
        return n + 1
    }
}
