import Baseplate

/// Resolves `[app:*] factory = Module:function` to an app factory, as baseplate.py's
/// `_load_factory` does (a missing `:function` means `make_app`).
enum AppLoader {
    static func load(_ app: [String: String], factories: [String: BaseplateServe.AppFactory]) throws -> any ThriftProcessor {
        guard var name = app["factory"], !name.isEmpty else {
            throw StartupError(message: "[app] section has no 'factory' key", code: 2)
        }
        if !name.contains(":") { name += ":make_app" }
        guard let factory = factories[name] else {
            let known = factories.keys.sorted().joined(separator: ", ")
            // uWSGI's "need-app" convention: exit code 2 when the application cannot be loaded.
            throw StartupError(
                message: "app factory '\(name)' not found; searched the factories linked into this binary: \(known.isEmpty ? "none" : known)",
                code: 2)
        }
        do {
            return try factory(app)
        } catch {
            throw StartupError(message: "app factory '\(name)' failed: \(error)", code: 1)
        }
    }
}
