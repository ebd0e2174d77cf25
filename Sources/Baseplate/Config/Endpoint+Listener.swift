extension ThriftServer.Configuration.Listener {
    /// Where to listen for a configured ``Endpoint`` (e.g. `--bind`, parsed with
    /// ``ConfigParser/endpoint``).
    public init(_ endpoint: Endpoint) {
        switch endpoint {
        case .inet(let host, let port): self = .tcp(host: host, port: port)
        case .unix(let path): self = .unix(path: path)
        }
    }
}
