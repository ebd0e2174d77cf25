import ArgumentParser
import Baseplate
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `baseplate-script CONFIG Module:function [args...]`: runs a function with the app's config,
/// as baseplate.py's does (for cron jobs and one-off tasks that share the service's config).
public enum BaseplateScript {
    /// A script function: it takes the app config, and the extra arguments if it accepts them.
    public enum Function: Sendable {
        case config(@Sendable ([String: String]) throws -> Void)
        case configAndArguments(@Sendable ([String: String], [String]) throws -> Void)
    }

    public static func main(functions: [String: Function]) -> Never {
        ScriptCommand.functions = functions
        ScriptCommand.main()
        exit(0)
    }
}

struct ScriptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseplate-script",
        abstract: "Run a function with a baseplate application's configuration.")

    nonisolated(unsafe) static var functions: [String: BaseplateScript.Function] = [:]

    @Flag(help: "Log at DEBUG level.") var debug = false
    @Option(name: .customLong("app-name"), help: "Name of the [app:*] section.") var appName = "main"
    @Argument(help: "The INI config file.") var configFile: String
    @Argument(help: "The function to run, as module:function.") var entrypoint: String
    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the function.") var arguments: [String] = []

    func run() throws {
        LogSetup.bootstrap(debug: debug)
        let logger = Logger(label: "baseplate.script")
        do {
            let ini = try INIFile(contentsOf: configFile)
            guard let app = ini.section("app:" + appName, environment: INIFile.processEnvironment()) else {
                throw StartupError(message: "\(configFile): no section [app:\(appName)]", code: 1)
            }
            // baseplate.py requires an explicit function name here (no default).
            guard entrypoint.contains(":"), let function = Self.functions[entrypoint] else {
                let known = Self.functions.keys.sorted().joined(separator: ", ")
                throw StartupError(
                    message: "script function '\(entrypoint)' not found; searched the functions linked into this binary: \(known.isEmpty ? "none" : known)",
                    code: 2)
            }
            switch function {
            case .config(let body):
                guard arguments.isEmpty else {
                    throw StartupError(
                        message: "script function does not accept additional arguments, but additional arguments were provided",
                        code: 1)
                }
                try body(app)
            case .configAndArguments(let body):
                try body(app, arguments)
            }
        } catch let error as INIFile.ParseError {
            logger.error("\(error)")
            throw ExitCode(1)
        } catch let error as StartupError {
            logger.error("\(error.message)")
            throw ExitCode(error.code)
        }
    }
}
