/// What the span recorder needs from a collector's response head (the bytes before the blank
/// line): the status, the body's length, and whether the connection may carry the next POST.
///
/// Read from the bytes: making Strings of the head, lower-casing and splitting them cost
/// ~140,000 instructions per POST (callgrind), on the CPU the recorder shares with the server.
struct HTTPResponseHead: Equatable {
    var status: Int
    /// nil: no (valid) Content-Length.
    var contentLength: Int?
    /// HTTP/1.1 with a Content-Length, no `Connection: close` and no transfer coding (a chunked
    /// body is not read: the connection is closed instead).
    var keepAlive: Bool

    init(status: Int, contentLength: Int?, keepAlive: Bool) {
        (self.status, self.contentLength, self.keepAlive) = (status, contentLength, keepAlive)
    }

    /// nil when the first line is not an HTTP status line.
    init?(_ head: ArraySlice<UInt8>) {
        var lines = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0 }[...]
        guard let first = lines.popFirst() else { return nil }
        let parts = first.split(separator: UInt8(ascii: " "), maxSplits: 2)
        guard parts.count >= 2, Self.lowered(parts[0].prefix(5)) == Array("http/".utf8),
              let status = Self.decimal(parts[1])
        else { return nil }
        self.status = status
        keepAlive = Self.lowered(parts[0]) == Array("http/1.1".utf8)
        for line in lines {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = Self.lowered(Self.trimmed(line[..<colon]))
            let value = Self.trimmed(line[(colon + 1)...])
            switch name {
            case Array("content-length".utf8): contentLength = Self.decimal(value)
            case Array("connection".utf8) where Self.lowered(value) == Array("close".utf8): keepAlive = false
            case Array("transfer-encoding".utf8): keepAlive = false
            default: break
            }
        }
        if contentLength == nil { keepAlive = false }
    }

    private static func lowered(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        bytes.map { (65...90).contains($0) ? $0 + 32 : $0 }
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let start = bytes.firstIndex(where: { !blank($0) }) else { return [] }
        return bytes[start...bytes.lastIndex(where: { !blank($0) })!]
    }

    /// Plain ASCII digits (at most 18, so it fits an Int), else nil.
    private static func decimal(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count <= 18 else { return nil }
        return bytes.withUnsafeBufferPointer { ASCIIDecimal.value($0) }.map { Int($0) }
    }
}
