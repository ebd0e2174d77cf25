// baseplate.py's Base64: Python's lenient `base64.b64decode`.

extension ConfigParser where Value == [UInt8] {
    /// `config.Base64`: Python's `base64.b64decode(text)`: characters outside the alphabet are
    /// skipped, decoding stops at complete padding, and a missing pad is an error.
    /// Errors: `expected base64 encoded data` (empty), `Incorrect padding`,
    /// `string argument should contain only ASCII characters`.
    public static var base64: ConfigParser<[UInt8]> {
        ConfigParser { text in
            guard !text.isEmpty else { throw ConfigValueError("expected base64 encoded data") }
            return try Base64.decode(text)
        }
    }
}

enum Base64 {
    private static func sextet(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }

    /// binascii's non-strict decoding: a group of four sextets gives three bytes; `=` after
    /// two or three sextets of a group ends the data once the group is padded to four.
    static func decode(_ text: String) throws -> [UInt8] {
        guard text.unicodeScalars.allSatisfy(\.isASCII) else {
            throw ConfigValueError("string argument should contain only ASCII characters")
        }
        var out: [UInt8] = []
        var position = 0  // sextets of the current group seen
        var carry: UInt8 = 0
        var pads = 0
        for c in text.utf8 {
            if c == UInt8(ascii: "=") {
                if position >= 2 {
                    pads += 1
                    if position + pads >= 4 { return out }
                }
                continue
            }
            guard let v = sextet(c) else { continue }
            pads = 0
            switch position {
            case 0: carry = v; position = 1
            case 1: out.append(carry << 2 | v >> 4); carry = v & 0x0F; position = 2
            case 2: out.append(carry << 4 | v >> 2); carry = v & 0x03; position = 3
            default: out.append(carry << 6 | v); carry = 0; position = 0
            }
        }
        if position == 1 {
            let count = out.count / 3 * 4 + 1
            throw ConfigValueError(
                "Invalid base64-encoded string: number of data characters (\(count)) cannot be 1 more than a multiple of 4")
        }
        if position != 0 { throw ConfigValueError("Incorrect padding") }
        return out
    }
}
