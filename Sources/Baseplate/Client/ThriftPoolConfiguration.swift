extension ThriftConnectionPool {
    /// A pool's settings, read from config as baseplate.py's `thrift_pool_from_config` reads
    /// them (`<prefix>endpoint`, `size`, `max_age`, `timeout`, `max_connection_attempts`,
    /// `fifo_queue`).
    public struct Configuration: Sendable, Hashable {
        public var endpoint: Endpoint
        /// Connections per event loop: each loop is what one baseplate.py process is.
        public var size = 10
        /// Connections older than this are replaced when next checked out.
        public var maxAge: Duration = .seconds(60)
        /// For a slot, and for each call's reply.
        public var timeout: Duration = .seconds(1)
        public var maxConnectionAttempts = 3
        /// Hand out the least recently used connection first (default: the most recent).
        public var fifo = false

        public init(endpoint: Endpoint) {
            self.endpoint = endpoint
        }

        /// - Throws: ``ConfigurationError`` naming the key.
        public init(config raw: [String: String], prefix: String = "") throws {
            if raw[prefix + "max_retries"] != nil {
                throw ConfigurationError(key: prefix + "max_retries", error: "max_retries was renamed to max_connection_attempts")
            }
            let parsed = try parseConfig(raw) { c in
                (try c(prefix + "endpoint", .endpoint),
                 try c(prefix + "size", .optional(.integer, default: 10)),
                 try c(prefix + "max_age", .optional(.timespan, default: .seconds(60))),
                 try c(prefix + "timeout", .optional(.timespan, default: .seconds(1))),
                 try c(prefix + "max_connection_attempts", .optional(.integer, default: 3)),
                 try c(prefix + "fifo_queue", .optional(.boolean, default: false)))
            }
            self.init(endpoint: parsed.0)
            (size, maxAge, timeout, maxConnectionAttempts, fifo) = (parsed.1, parsed.2, parsed.3, parsed.4, parsed.5)
            guard size > 0 else { throw ConfigurationError(key: prefix + "size", error: "must be positive") }
            guard maxConnectionAttempts > 0 else {
                throw ConfigurationError(key: prefix + "max_connection_attempts", error: "must be positive")
            }
        }
    }
}
