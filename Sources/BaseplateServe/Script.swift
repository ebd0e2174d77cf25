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
        let command = ScriptCommand(ScriptCommand.Syntax.command.parseCommandLine())
        ScriptCommand.functions = functions
        exit(command.run())
    }
}

struct ScriptCommand {
    enum Syntax {
        static let debug = CommandSyntax.Option.flag("--debug", help: "Log at DEBUG level.")
        static let appName = CommandSyntax.Option.value(
            "--app-name", metavar: "NAME", default: "main", help: "Name of the [app:*] section.")
        static let configFile = CommandSyntax.Positional(name: "config_file", help: "The INI config file.")
        static let entrypoint = CommandSyntax.Positional(
            name: "entrypoint", help: "The function to run, as module:function.")
        /// baseplate.py parses with `parse_known_args`: whatever is not one of the above,
        /// anywhere on the line, goes to the function, in order.
        static let command = CommandSyntax(
            program: "baseplate-script", description: "Run a function with a baseplate application's configuration.",
            options: [debug, appName], positionals: [configFile, entrypoint],
            passThrough: (name: "arguments", help: "Arguments passed to the function."))
    }

    nonisolated(unsafe) static var functions: [String: BaseplateScript.Function] = [:]

    var debug: Bool
    var appName: String
    var configFile: String
    var entrypoint: String
    var arguments: [String]

    init(_ arguments: ParsedArguments) {
        debug = arguments.isSet(Syntax.debug)
        appName = arguments[Syntax.appName]
        configFile = arguments[Syntax.configFile]
        entrypoint = arguments[Syntax.entrypoint]
        self.arguments = arguments.extra
    }

    /// Runs the function; returns the exit status.
    func run() -> Int32 {
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
}
