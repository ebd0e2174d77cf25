// Compiles a target's Thrift IDL files with thrift-swift at build time.
//
// Every `.thrift` file in the target's directory is compiled, plus the files listed under
// "sources" in an optional `thrift-swift-config.json` next to them:
//
//     {
//       "sources": ["../../idl/baseplate.thrift"],   // more IDL files to compile (relative to the config)
//       "includePaths": ["../../idl"]                // -I directories for `include` (relative to the config)
//     }
//
// One command compiles them all (so the generator sees every file of the module) into
// `<name>.thrift.swift` each. The command's inputs are the IDL files, the config and every
// `.thrift` file under the include paths, so editing any of them regenerates the code.

import Foundation
import PackagePlugin

@main
struct ThriftSwiftPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        var sources = target.sourceFiles(withSuffix: ".thrift").map(\.url)
        // The config is found among the target's files (`directoryURL` needs tools version 6.1);
        // paths in it are relative to its directory.
        let configs = target.sourceFiles(withSuffix: ThriftSwiftPlugin.configFileName).map(\.url)
        if configs.count > 1 {
            throw PluginError("target '\(target.name)' has more than one \(ThriftSwiftPlugin.configFileName)")
        }
        let configURL = configs.first
        let config = try configURL.map(ThriftSwiftPlugin.readConfig) ?? Config()
        let base = configURL?.deletingLastPathComponent() ?? URL(fileURLWithPath: ".")
        for path in config.sources ?? [] {
            let url = URL(fileURLWithPath: path, relativeTo: base).standardizedFileURL
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw PluginError("\(configURL!.path): no IDL file at '\(path)'")
            }
            if !sources.contains(url) { sources.append(url) }
        }
        guard !sources.isEmpty else { return [] }
        sources.sort { $0.path < $1.path }

        var seen: [String: URL] = [:]
        for source in sources {
            let name = source.deletingPathExtension().lastPathComponent
            if let other = seen[name] {
                throw PluginError("two IDL files named '\(name)' in target '\(target.name)': \(other.path) and \(source.path)")
            }
            seen[name] = source
        }

        let includeDirectories = (config.includePaths ?? []).map {
            URL(fileURLWithPath: $0, relativeTo: base).standardizedFileURL
        }
        let outputDirectory = context.pluginWorkDirectoryURL.appending(path: "thrift-swift")
        let outputs = sources.map {
            outputDirectory.appending(path: $0.deletingPathExtension().lastPathComponent + ".thrift.swift")
        }
        var arguments = ["--out", outputDirectory.path, "--module-name", target.moduleName]
        for directory in includeDirectories { arguments += ["-I", directory.path] }
        arguments += sources.map(\.path)

        var inputs = sources
        if let configURL { inputs.append(configURL) }
        for directory in includeDirectories {
            inputs += ThriftSwiftPlugin.idlFiles(under: directory).filter { !inputs.contains($0) }
        }

        let tool = try context.tool(named: "thrift-swift")
        return [
            .buildCommand(
                displayName: "Compiling Thrift IDL for \(target.name) (\(sources.map(\.lastPathComponent).joined(separator: ", ")))",
                executable: tool.url,
                arguments: arguments,
                inputFiles: inputs + [tool.url],
                outputFiles: outputs
            ),
        ]
    }

    static let configFileName = "thrift-swift-config.json"

    struct Config: Decodable {
        var sources: [String]?
        var includePaths: [String]?
    }

    static func readConfig(_ url: URL) throws -> Config {
        do {
            return try JSONDecoder().decode(Config.self, from: Data(contentsOf: url))
        } catch {
            throw PluginError("\(url.path): \(error)")
        }
    }

    /// `.thrift` files under a directory (recursively), sorted.
    static func idlFiles(under directory: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        var found: [URL] = []
        for case let url as URL in walker where url.pathExtension == "thrift" {
            found.append(url.standardizedFileURL)
        }
        return found.sorted { $0.path < $1.path }
    }
}

struct PluginError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
