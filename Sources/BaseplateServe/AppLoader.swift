import Baseplate

#if canImport(Glibc)
import Glibc
#endif

/// Resolves `[app:*] factory = Module:function` to an app factory, as baseplate.py's
/// `_load_factory` does (a missing `:function` means `make_app`).
enum AppLoader {
    static func load(_ app: [String: String], factories: [String: BaseplateServe.AppFactory],
                     configFile: String) throws -> any ThriftProcessor {
        guard var name = app["factory"], !name.isEmpty else {
            throw StartupError(message: "[app] section has no 'factory' key", code: 2)
        }
        if !name.contains(":") { name += ":make_app" }
        guard let factory = factories[name] else {
            return try loadShared(name, app: app, configFile: configFile, linked: factories.keys.sorted())
        }
        do {
            return try factory(app)
        } catch {
            throw StartupError(message: "app factory '\(name)' failed: \(error)", code: 1)
        }
    }

    /// `Module:function` from `libModule.so`: next to the config file, then each directory of
    /// `BASEPLATE_APP_PATH`, then the loader's own search path.
    static func loadShared(_ name: String, app: [String: String], configFile: String,
                           linked: [String]) throws -> any ThriftProcessor {
        let parts = name.split(separator: ":", maxSplits: 1).map(String.init)
        let (module, function) = (parts[0], parts[1])
        let file = "lib\(module).so"
        let configDir = configFile.contains("/") ? String(configFile[..<configFile.lastIndex(of: "/")!]) : "."
        let appPath = (INIFile.processEnvironment()["BASEPLATE_APP_PATH"] ?? "")
            .split(separator: ":").map(String.init)
        var tried: [String] = []
        var handle: UnsafeMutableRawPointer?
        for dir in [configDir] + appPath {
            let path = dir + "/" + file
            tried.append(path)
            if access(path, F_OK) == 0 {
                handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL)
                guard handle != nil else {
                    throw StartupError(message: "cannot load \(path): \(String(cString: dlerror()))", code: 2)
                }
                break
            }
        }
        if handle == nil {
            tried.append("\(file) on the loader path")
            handle = dlopen(file, RTLD_NOW | RTLD_GLOBAL)
        }
        // uWSGI's "need-app" convention: exit code 2 when the application cannot be loaded.
        guard let handle else {
            throw StartupError(
                message: "app factory '\(name)' not found; searched: the factories linked into this binary (\(linked.isEmpty ? "none" : linked.joined(separator: ", "))), \(tried.joined(separator: ", "))",
                code: 2)
        }
        guard let symbol = dlsym(handle, function) else {
            throw StartupError(message: "app factory '\(name)': \(file) has no function '\(function)'", code: 2)
        }
        typealias Entry = @convention(c) (UnsafeMutableRawPointer) -> Void
        let call = DynamicAppCall(appConfig: app)
        let entry = unsafeBitCast(symbol, to: Entry.self)
        withExtendedLifetime(call) { entry(Unmanaged.passUnretained(call).toOpaque()) }
        if let error = call.error {
            throw StartupError(message: "app factory '\(name)' failed: \(error)", code: 1)
        }
        guard let processor = call.processor else {
            throw StartupError(message: "app factory '\(name)' returned no processor", code: 1)
        }
        return processor
    }
}
