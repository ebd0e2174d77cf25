#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// baseplate.py's UnixUser and UnixGroup.

extension ConfigParser where Value == UInt32 {
    /// `config.UnixUser`: a user name from the user database, or a decimal user ID (a `uid_t`).
    /// Error (unknown name): `"getpwnam(): name not found: 'name'"` (with the quotes, as
    /// baseplate.py prints the KeyError).
    public static var unixUser: ConfigParser<UInt32> {
        ConfigParser { text in
            if let uid = UnixAccounts.userID(text) { return uid }
            return try UnixAccounts.numericID(text, orError: "getpwnam(): name not found: \(PythonText.repr(text))")
        }
    }
}

extension ConfigParser where Value == UInt32 {
    /// `config.UnixGroup`: a group name from the group database, or a decimal group ID (a `gid_t`).
    /// Error (unknown name): `"getgrnam(): name not found: 'name'"`.
    public static var unixGroup: ConfigParser<UInt32> {
        ConfigParser { text in
            if let gid = UnixAccounts.groupID(text) { return gid }
            return try UnixAccounts.numericID(text, orError: "getgrnam(): name not found: \(PythonText.repr(text))")
        }
    }
}

enum UnixAccounts {
    static func userID(_ name: String) -> uid_t? {
        guard !name.contains("\0") else { return nil }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.pw_uid
    }

    static func groupID(_ name: String) -> gid_t? {
        guard !name.contains("\0") else { return nil }
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 65536)
        guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }

    /// The text as a decimal ID, or the KeyError text (Python prints it with quotes around).
    /// `-1` is `UInt32.max`, the C API's "no ID"; other IDs a `uid_t` cannot hold, which
    /// Python would pass on to fail later, are refused here.
    static func numericID(_ text: String, orError keyError: String) throws -> UInt32 {
        guard case .success(let n) = PythonText.parseInt(text) else {
            throw ConfigValueError(PythonText.repr(keyError))
        }
        if n == -1 { return UInt32.max }
        guard let id = UInt32(exactly: n) else { throw ConfigValueError("ID out of range: \(n)") }
        return id
    }
}
