import Logging

/// The framework side of one service (baseplate.py's `Baseplate`; named apart from the module): its observers, the
/// per-request objects handlers get on their context, and the server-side timeouts.
///
/// Register observers and context factories while setting up, before the server starts; they
/// are read by every request without a lock.
public final class BaseplateApp: @unchecked Sendable {
    // @unchecked: mutated only during setup (before the server's loops start), read after.

    /// The app section of the config file (`[app:main]`).
    public let appConfig: [String: String]
    /// `baseplate.service_name`, else the app factory's module, else "baseplate".
    public let serviceName: String
    // @exclusivity(unchecked): read by every request (setup-time writes only); the dynamic
    // checks cost ~80 instructions a read (callgrind).
    @exclusivity(unchecked) public private(set) var observers: [any BaseplateObserver] = []
    public private(set) var contextFactories: [(name: String, factory: any ContextFactory)] = []
    /// Answer undeclared handler errors of methods that declare baseplate's `Error` with
    /// `Error(500, "Internal server error")` (baseplate.py's `convert_to_baseplate_error`).
    public var convertToBaseplateError = false
    /// Server timeouts (`server_timeout.*`), set by `configureObservers`.
    @exclusivity(unchecked) public private(set) var timeouts = ServerTimeouts()
    /// The statsd client `metrics.namespace` / `metrics.tagging` configured (baseplate.py's
    /// `_metrics_client`); the runtime monitor reports through it.
    public internal(set) var metricsClient: MetricsClient?

    public init(appConfig: [String: String] = [:], defaultServiceName: String = "baseplate") {
        self.appConfig = appConfig
        let configured = appConfig["baseplate.service_name"] ?? ""
        self.serviceName = configured.isEmpty ? defaultServiceName : configured
    }

    public func register(_ observer: any BaseplateObserver) {
        observers.append(observer)
    }

    /// Adds a per-request object: `context.object(name)` makes it from `factory` on first use.
    public func addToContext(_ name: String, _ factory: any ContextFactory) {
        contextFactories.append((name, factory))
    }

    /// Switches on the observers the app config asks for, as baseplate.py's
    /// `configure_observers()` does: each family reads its own keys and registers itself or
    /// says at DEBUG why not. Errors name the offending key.
    public func configureObservers(logger: Logger = Logger(label: "baseplate")) throws {
        timeouts = try ServerTimeouts(appConfig: appConfig, logger: logger)
        for family in Self.observerFamilies {
            try family(self, logger)
        }
    }

    /// The observer families `configureObservers` consults, in baseplate.py's order (logging is
    /// built into `RequestContext.logger`; timeouts are enforced by the server itself).
    static let observerFamilies: [@Sendable (BaseplateApp, Logger) throws -> Void] = [
        MetricsConfiguration.configure,
        TraceObserver.configure,  // tracing.service_name (Tracing/)
    ]

    func timeout(for method: String) -> ServerTimeouts.Resolved? {
        timeouts.resolve(method)
    }
}

/// `server_timeout.default`, `server_timeout.by_endpoint.<method>` and `server_timeout.debug`
/// (baseplate.py's timeout observer): how long a handler may run before it is cancelled.
public struct ServerTimeouts: Sendable {
    public var defaultTimeout: Duration?
    public var byEndpoint: [String: TimespanOrInfinite] = [:]
    public var debug = false

    struct Resolved {
        var timeout: Duration
        var debug: Bool
    }

    public init() {}

    init(appConfig: [String: String], logger: Logger) throws {
        let prefix = "server_timeout.by_endpoint."
        (defaultTimeout, debug) = try parseConfig(appConfig) { c in
            (try c("server_timeout.default", .optional(.timespanOrInfinite, default: .infinite)).duration,
             try c("server_timeout.debug", .optional(.boolean, default: false)))
        }
        for (key, _) in appConfig where key.hasPrefix(prefix) {
            byEndpoint[String(key.dropFirst(prefix.count))] = try ConfigParser<TimespanOrInfinite>
                .timespanOrInfinite.parse(key: key, in: appConfig)
        }
        if appConfig["server_timeout.default"] == nil {
            logger.debug("No server_timeout.default configured. Defaulting to no timeout.")
        }
    }

    func resolve(_ method: String) -> Resolved? {
        let timeout = byEndpoint[method].map { $0.duration } ?? defaultTimeout
        return timeout.map { Resolved(timeout: $0, debug: debug) }
    }
}

/// A processor served with a given `BaseplateApp` (baseplate.py's `baseplateify_processor`).
/// App factories return one to register their own observers or context factories; a bare
/// processor gets a `BaseplateApp` made by the server from the app config, with the observers
/// that config switches on.
public struct BaseplateProcessor: ThriftProcessor {
    public let processor: any ThriftProcessor
    public let baseplate: BaseplateApp

    public init(_ processor: any ThriftProcessor, baseplate: BaseplateApp, convertToBaseplateError: Bool = false) {
        self.processor = processor
        self.baseplate = baseplate
        if convertToBaseplateError { baseplate.convertToBaseplateError = true }
    }

    public func makeCall(_ method: String, reader: inout BinaryReader) throws(ThriftProtocolError) -> ThriftCall? {
        try processor.makeCall(method, reader: &reader)
    }

    public func makeCall(_ method: String, reader: inout CompactReader) throws(ThriftProtocolError) -> ThriftCall? {
        try processor.makeCall(method, reader: &reader)
    }
}
