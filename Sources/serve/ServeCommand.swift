import ArgumentParser
import Baseplate
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `baseplate-serve`: reads a baseplate INI file, builds the app, serves it.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseplate-serve",
        abstract: "Serve a baseplate application.")

    typealias AppFactory = @Sendable ([String: String]) throws -> any ThriftProcessor
    nonisolated(unsafe) static var factories: [String: AppFactory] = [:]

    @Flag(help: "Log at DEBUG level.") var debug = false
    @Flag(help: "Restart when the config file or the application changes (development).") var reload = false
    @Option(name: .customLong("app-name"), help: "Name of the [app:*] section.") var appName = "main"
    @Option(name: .customLong("server-name"), help: "Name of the [server:*] section.") var serverName = "main"
    @Option(help: "Endpoint to bind to (ignored if under Einhorn).") var bind = "localhost:9090"
    @Argument(help: "The INI config file.") var configFile: String

    static func blockShutdownSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGTERM, SIGINT, SIGUSR2, SIGUSR1] { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    func run() throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .info
            return h
        }
        var logger = Logger(label: "baseplate.serve")
        logger.logLevel = debug ? .debug : .info
        do {
            try serve(logger: logger)
        } catch let error as INIFile.ParseError {
            logger.error("\(error)")
            throw ExitCode(1)
        } catch let error as StartupError {
            logger.error("\(error.message)")
            throw ExitCode(error.code)
        }
    }

    private func serve(logger: Logger) throws {
        let env = currentEnvironment()
        let ini = try INIFile(contentsOf: configFile)
        guard let server = ini.section("server:" + serverName, environment: env) else {
            throw StartupError(message: "\(configFile): no section [server:\(serverName)]", code: 1)
        }
        guard let app = ini.section("app:" + appName, environment: env) else {
            throw StartupError(message: "\(configFile): no section [app:\(appName)]", code: 1)
        }
        let serverFactory = server["factory"] ?? ""
        guard serverFactory == "baseplate.server.thrift" || serverFactory == "baseplate.server.thrift:make_server" else {
            throw StartupError(message: "unknown server factory '\(serverFactory)' (supported: baseplate.server.thrift)", code: 2)
        }
        var appFactoryName = app["factory"] ?? ""
        if !appFactoryName.contains(":") { appFactoryName += ":make_app" }
        guard let factory = Self.factories[appFactoryName] else {
            let known = Self.factories.keys.sorted().joined(separator: ", ")
            throw StartupError(message: "app factory '\(appFactoryName)' not found (linked in: \(known))", code: 2)
        }
        let processor = try factory(app)

        var config = ThriftServer.Configuration(listener: try parseEndpoint(bind))
        if let threads = server["io_threads"] {
            guard let n = Int(threads), n > 0 else {
                throw StartupError(message: "io_threads: invalid value '\(threads)'", code: 1)
            }
            config.ioThreads = n
        }
        if let size = server["max_frame_size"] {
            guard let n = Int(size), n > 0 else {
                throw StartupError(message: "max_frame_size: invalid value '\(size)'", code: 1)
            }
            config.maxFrameSize = n
        }
        let thriftServer: ThriftServer
        do {
            thriftServer = try ThriftServer(configuration: config, processor: processor, logger: logger)
        } catch let error as ServerError {
            throw StartupError(message: "cannot listen on \(bind): \(error.message)", code: 1)
        }
        try thriftServer.start()
        logger.info("Listening on \(bind)", metadata: ["io_threads": "\(thriftServer.loopCount)"])

        let signal = Self.waitForShutdownSignal(logger: logger)
        logger.info("Shutdown triggered by signal \(signal)")
        thriftServer.stopAccepting()
        thriftServer.shutdown(timeout: .seconds(10))
        logger.info("Exiting")
    }

    /// Waits on this thread for SIGTERM, SIGINT or SIGUSR2 (SIGUSR1 is logged and ignored).
    static func waitForShutdownSignal(logger: Logger) -> Int32 {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGTERM, SIGINT, SIGUSR2, SIGUSR1] { sigaddset(&set, s) }
        while true {
            var sig: Int32 = 0
            if sigwait(&set, &sig) == 0 {
                if sig == SIGUSR1 {
                    logger.warning("Received SIGUSR1")
                    continue
                }
                return sig
            }
        }
    }
}

struct StartupError: Error {
    var message: String
    var code: Int32
}

/// `host:port`, `[v6]:port`, or a UNIX socket path (anything with a `/`).
func parseEndpoint(_ text: String) throws -> ThriftServer.Configuration.Listener {
    if text.contains("/") { return .unix(path: text) }
    if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
        let host = String(text[text.index(after: text.startIndex)..<close])
        let rest = text[text.index(after: close)...]
        guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (0...65535).contains(port) else {
            throw StartupError(message: "invalid endpoint '\(text)'", code: 2)
        }
        return .tcp(host: host, port: port)
    }
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
          (0...65535).contains(port) else {
        throw StartupError(message: "invalid endpoint '\(text)'", code: 2)
    }
    return .tcp(host: String(text[..<colon]), port: port)
}

func currentEnvironment() -> [String: String] {
    var env: [String: String] = [:]
    var p = environ
    while let entry = p.pointee {
        let s = String(cString: entry)
        if let eq = s.firstIndex(of: "=") {
            env[String(s[..<eq])] = String(s[s.index(after: eq)...])
        }
        p += 1
    }
    return env
}
