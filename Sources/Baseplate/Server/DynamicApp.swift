/// The calling convention between `baseplate-serve` and an app factory in a shared library
/// (`[app:main] factory = MyApp:make_processor` with `libMyApp.so` next to the INI file, in
/// `BASEPLATE_APP_PATH`, or on the loader path).
///
/// The library exports a C symbol named after the factory function that takes a
/// `DynamicAppCall` and fills it in:
///
/// ```swift
/// @_cdecl("make_processor")
/// public func make_processor(_ call: UnsafeMutableRawPointer) {
///     DynamicAppCall.answer(call) { appConfig in MyProcessor(handler: MyHandler()) }
/// }
/// ```
///
/// The library is linked against this module but does not embed it: its references resolve
/// to the copy inside `baseplate-serve` (exported with `--export-dynamic`), so the process has
/// one copy of the framework's types, and the processor the library returns is the server's
/// `ThriftProcessor`.
public final class DynamicAppCall: @unchecked Sendable {
    // @unchecked: used by one thread, for the duration of one factory call.
    public let appConfig: [String: String]
    public internal(set) var processor: (any ThriftProcessor)?
    public internal(set) var error: String?

    public init(appConfig: [String: String]) {
        self.appConfig = appConfig
    }

    /// Runs `factory` for the call at `pointer` (what the exported symbol receives).
    public static func answer(_ pointer: UnsafeMutableRawPointer,
                              _ factory: ([String: String]) throws -> any ThriftProcessor) {
        let call = Unmanaged<DynamicAppCall>.fromOpaque(pointer).takeUnretainedValue()
        do {
            call.processor = try factory(call.appConfig)
        } catch {
            call.error = "\(error)"
        }
    }
}
