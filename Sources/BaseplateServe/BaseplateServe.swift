import Baseplate

#if canImport(Glibc)
import Glibc
#endif

/// The `baseplate-serve` program as a library, so an application can build its own server
/// binary with its app factories linked in:
///
/// ```swift
/// import BaseplateServe
/// BaseplateServe.main(factories: ["myservice:make_processor": MyService.makeProcessor])
/// ```
///
/// The INI file then names the factory as baseplate.py's would: `factory = myservice:make_processor`.
public enum BaseplateServe {
    /// Builds an application's processor from its `[app:*]` section (keys lower-cased, `$VAR`s
    /// expanded, `[DEFAULT]` merged in; `factory` included, as baseplate.py passes it).
    public typealias AppFactory = @Sendable ([String: String]) throws -> any ThriftProcessor

    /// Parses the command line and serves until a shutdown signal. Never returns.
    public static func main(factories: [String: AppFactory]) -> Never {
        // Shutdown signals are taken by the main thread with sigwait: block them before any
        // other thread exists, so that none is delivered elsewhere.
        Signals.block()
        ThreadDump.install()
        let command = ServeCommand(ServeCommand.Syntax.command.parseCommandLine())
        ServeCommand.factories = factories
        exit(command.run())
    }
}
