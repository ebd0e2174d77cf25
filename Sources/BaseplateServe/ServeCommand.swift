import Baseplate
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `baseplate-serve`: reads a baseplate INI file, builds the app, serves it until a signal.
struct ServeCommand {
    enum Syntax {
        static let debug = CommandSyntax.Option.flag("--debug", help: "Log at DEBUG level.")
        static let reload = CommandSyntax.Option.flag(
            "--reload", help: "Restart when the config file or the application changes (development).")
        static let appName = CommandSyntax.Option.value(
            "--app-name", metavar: "NAME", default: "main", help: "Name of the [app:*] section.")
        static let serverName = CommandSyntax.Option.value(
            "--server-name", metavar: "NAME", default: "main", help: "Name of the [server:*] section.")
        static let bind = CommandSyntax.Option.value(
            "--bind", metavar: "ENDPOINT", default: "localhost:9090", type: .endpoint,
            help: "Endpoint to bind to (ignored if under Einhorn).")
        static let configFile = CommandSyntax.Positional(name: "config_file", help: "The INI config file.")
        static let command = CommandSyntax(
            program: "baseplate-serve", description: "Serve a baseplate application.",
            options: [debug, reload, appName, serverName, bind], positionals: [configFile])
    }

    nonisolated(unsafe) static var factories: [String: BaseplateServe.AppFactory] = [:]

    var debug: Bool
    var reload: Bool
    var appName: String
    var serverName: String
    var bind: String
    var configFile: String

    init(_ arguments: ParsedArguments) {
        debug = arguments.isSet(Syntax.debug)
        reload = arguments.isSet(Syntax.reload)
        appName = arguments[Syntax.appName]
        serverName = arguments[Syntax.serverName]
        bind = arguments[Syntax.bind]
        configFile = arguments[Syntax.configFile]
    }

    /// Serves until a shutdown signal; returns the exit status.
    func run() -> Int32 {
        LogSetup.bootstrap(debug: debug)
        let logger = Logger(label: "baseplate.server")
        do {
            try serve(logger: logger)
            return 0
        } catch let error as INIFile.ParseError {
            logger.error("\(error)")
            return 1
        } catch let error as StartupError {
            logger.error("\(error.message)")
            return error.code
        } catch {
            // As swift-argument-parser reported an unexpected error, which this replaced.
            writeError("Error: \(error)")
            return 1
        }
    }

    private func serve(logger: Logger) throws {
        let env = INIFile.processEnvironment()
        let ini = try INIFile(contentsOf: configFile)
        guard let server = ini.section("server:" + serverName, environment: env) else {
            throw StartupError(message: "\(configFile): no section [server:\(serverName)]", code: 1)
        }
        guard let app = ini.section("app:" + appName, environment: env) else {
            throw StartupError(message: "\(configFile): no section [app:\(appName)]", code: 1)
        }
        let serverFactory = server["factory"] ?? ""
        guard ["baseplate.server.thrift", "baseplate.server.thrift:make_server"].contains(serverFactory) else {
            throw StartupError(
                message: "server factory '\(serverFactory)' is not available; this server provides: baseplate.server.thrift",
                code: 2)
        }
        // Keys [DEFAULT] gives every section are not the server section's own: not checked.
        let defaultKeys = Set(ini.defaults.map(\.key))
        let settings = try ServerSettings(server, inherited: defaultKeys, logger: logger)
        let processor = try AppLoader.load(app, factories: Self.factories, configFile: configFile)

        let einhorn = Einhorn.listenerFD(env)
        let inherited = einhorn ?? Systemd.listenerFD(env)
        var config = ThriftServer.Configuration(
            listener: try inherited.map { .fileDescriptor($0) } ?? .init(Endpoint(parsing: bind)))
        settings.apply(to: &config)
        let thriftServer: ThriftServer
        do {
            let (served, baseplate) = try Self.instrument(processor, app: app, logger: logger)
            thriftServer = try ThriftServer(configuration: config, processor: served, baseplate: baseplate, logger: logger)
        } catch let error as ServerError {
            throw StartupError(message: "cannot listen on \(bind): \(error.message)", code: 1)
        }
        let monitor = RuntimeMonitor.start(
            settings: settings.runtimeMonitor, server: thriftServer, baseplate: thriftServer.baseplate,
            environment: env, logger: logger)
        // After the app and listener are set up, so that a config error is the only line logged.
        let exporter = try PrometheusSetup.start(app: app, environment: env, logger: logger)
        if einhorn != nil { try Einhorn.ack(env) }
        if reload { Reloader.start(watching: [configFile], logger: logger) }
        try thriftServer.start()
        let listening = inherited.map { "fd \($0)" } ?? bind
        logger.info("Listening on \(listening)", metadata: ["io_threads": "\(thriftServer.loopCount)"])
        Systemd.notify("READY=1", env: env, logger: logger)

        let sig = Self.waitForShutdownSignal(logger: logger) {
            ThreadDump.log(logger)
            thriftServer.logRequestsInFlight()
        }
        logger.info("Shutdown triggered by \(Signals.name(sig)).")
        ServerState.set(.shuttingDown)
        Systemd.notify("STOPPING=1", env: env, logger: logger)
        Self.exitOnSecondSignal(logger: logger) {
            ThreadDump.log(logger)
            thriftServer.logRequestsInFlight()
        }
        logger.info("Draining inbound requests...", metadata: ["drain_time": "\(settings.drainTime)"])
        settings.drainTime.sleepThread()
        logger.info("Gracefully shutting down...")
        monitor?.stop()  // stopping loops are not blocked ones
        thriftServer.stopAccepting()
        thriftServer.shutdown(timeout: settings.stopTimeout)
        exporter?.stop()
        logger.info("Exiting")
    }

    /// The processor to serve and its `BaseplateApp`: the app's own if it returned a
    /// `BaseplateProcessor`, else one configured from the app section as baseplate.py's
    /// `configure_observers()` would be.
    static func instrument(_ processor: any ThriftProcessor, app: [String: String],
                           logger: Logger) throws -> (any ThriftProcessor, BaseplateApp) {
        if let wrapped = processor as? BaseplateProcessor { return (wrapped.processor, wrapped.baseplate) }
        let module = app["factory"].map { String($0.prefix { $0 != ":" }) } ?? "baseplate"
        let baseplate = BaseplateApp(appConfig: app, defaultServiceName: module)
        do {
            try baseplate.configureObservers(logger: logger)
        } catch {
            throw StartupError(message: "[app] \(error)", code: 1)
        }
        return (processor, baseplate)
    }

    /// Waits for SIGTERM, SIGINT or SIGUSR2; SIGUSR1 dumps state and waiting goes on.
    static func waitForShutdownSignal(logger: Logger, onDump: () -> Void) -> Int32 {
        while true {
            let sig = Signals.wait()!
            if sig == SIGUSR1 {
                logger.warning("Received SIGUSR1, dumping threads and requests in flight:")
                onDump()
                continue
            }
            return sig
        }
    }

    /// After the first shutdown signal, a second one ends the process at once (an operator
    /// who means it), from a thread of its own so the drain and stop can block.
    static func exitOnSecondSignal(logger: Logger, onDump: @escaping @Sendable () -> Void) {
        BackgroundThread.start {
            while true {
                let sig = Signals.wait()!
                if sig == SIGUSR1 {
                    logger.warning("Received SIGUSR1, dumping threads and requests in flight:")
                    onDump()
                    continue
                }
                logger.warning("Second signal (\(Signals.name(sig))): exiting now.")
                _exit(1)
            }
        }
    }
}

struct StartupError: Error {
    var message: String
    var code: Int32
}

extension CommandSyntax.ValueType {
    /// baseplate.py's `Endpoint` type: `host:port`, `[v6]:port`, or a UNIX socket path (anything
    /// with a `/`). Checked while parsing, so a bad `--bind` is a usage error (exit 2).
    static let endpoint = CommandSyntax.ValueType(name: "Endpoint") { (try? Endpoint(parsing: $0)) != nil }
}
