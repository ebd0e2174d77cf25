/// A network endpoint from configuration: baseplate.py's `EndpointConfiguration`.
///
/// Its description is what baseplate.py prints: `host:port` (with brackets around an IPv6
/// host) or the socket path.
public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// A TCP endpoint (baseplate.py's `AF_INET`; the host may also be an IPv6 address).
    case inet(host: String, port: Int)
    /// A UNIX domain socket path.
    case unix(path: String)

    public var description: String {
        switch self {
        case .inet(let host, let port):
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path):
            return path
        }
    }

    /// Parses an endpoint as ``ConfigParser/endpoint`` does.
    /// - Throws: ``ConfigValueError``.
    public init(parsing text: String) throws {
        self = try ConfigParser<Endpoint>.endpoint.parse(text)
    }
}

extension ConfigParser where Value == Endpoint {
    /// `config.Endpoint`: text containing `/` is a UNIX socket path; otherwise `host:port`,
    /// split at the first `:`, the port read by Python's `int()`. Errors:
    /// `no endpoint specified`, `no port specified`, `int()`'s error for the port.
    ///
    /// Extension: `[v6 address]:port` is an IPv6 endpoint (baseplate.py reads IPv4 and host
    /// names only). Ports are not range-checked, as in baseplate.py.
    public static var endpoint: ConfigParser<Endpoint> {
        ConfigParser { text in
            guard !text.isEmpty else { throw ConfigValueError("no endpoint specified") }
            if text.contains("/") { return .unix(path: text) }
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                let host = String(text[text.index(after: text.startIndex)..<close])
                let rest = text[text.index(after: close)...]
                guard rest.hasPrefix(":") else { throw ConfigValueError("no port specified") }
                let port = try PythonText.parseInt(String(rest.dropFirst())).get()
                return .inet(host: host, port: port)
            }
            guard let colon = text.firstIndex(of: ":") else { throw ConfigValueError("no port specified") }
            let port = try PythonText.parseInt(String(text[text.index(after: colon)...])).get()
            return .inet(host: String(text[..<colon]), port: port)
        }
    }
}
