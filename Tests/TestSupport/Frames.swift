import CBaseplateIO

/// A THeader frame written by the C core's writer, for tests that speak THeader by hand.
public func theaderFrame(flags: UInt16 = 0, seqid: Int32, protocolID: Int32 = Int32(BPIO_PROTOCOL_COMPACT),
                         zlib: Bool = false, headers: [(String, String)] = [], payload: [UInt8]) -> [UInt8] {
    // All header bytes in one array, so every pointer is taken inside one borrow.
    var blob: [UInt8] = []
    var spans: [(Int, Int, Int, Int)] = []
    for (k, v) in headers {
        let ko = blob.count
        blob += Array(k.utf8)
        let vo = blob.count
        blob += Array(v.utf8)
        spans.append((ko, k.utf8.count, vo, v.utf8.count))
    }
    var out = bpio_buf()
    defer { bpio_buf_free(&out) }
    let rc = blob.withUnsafeBufferPointer { b in
        let hs = spans.map { s in
            bpio_header(key: b.baseAddress.map { $0 + s.0 }, value: b.baseAddress.map { $0 + s.2 },
                        key_len: UInt32(s.1), value_len: UInt32(s.3))
        }
        return payload.withUnsafeBufferPointer { p in
            bpio_theader_write(&out, flags, seqid, protocolID, zlib ? 1 : 0, hs, UInt32(hs.count), p.baseAddress, p.count)
        }
    }
    precondition(rc == 0, "bpio_theader_write failed")
    return Array(UnsafeBufferPointer(start: out.data, count: out.len))
}
