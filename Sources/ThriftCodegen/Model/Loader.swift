import Foundation

/// Where IDL text comes from: the disk, or a dictionary in tests.
public protocol IDLFileSystem {
    /// The file's text, or nil if there is no such file.
    func contents(of path: String) -> String?
}

/// Reads IDL files from disk.
public struct DiskFileSystem: IDLFileSystem {
    public init() {}

    public func contents(of path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// IDL files held in memory, by path (for tests).
public struct MemoryFileSystem: IDLFileSystem {
    public var files: [String: String]

    public init(_ files: [String: String]) {
        self.files = files
    }

    public func contents(of path: String) -> String? { files[Paths.normalize(path)] ?? files[path] }
}

/// Path arithmetic on `/`-separated strings, without touching the disk.
enum Paths {
    /// Removes `.` and empty components and folds `dir/..` (a leading `..` stays).
    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            if part == "..", absolute { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    static func join(_ directory: String, _ path: String) -> String {
        if path.hasPrefix("/") || directory == "." || directory.isEmpty { return normalize(path) }
        return normalize(directory + "/" + path)
    }

    /// `dir/foo_bar.thrift` → `foo_bar`
    static func baseName(of path: String) -> String {
        let name = fileName(of: path)
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { return String(name[..<dot]) }
        return name
    }
}

/// Reads the files asked for and, transitively, everything they include.
struct Loader {
    let fileSystem: any IDLFileSystem
    let includePaths: [String]
    /// Parsed files by normalised path, in load order (includes before includers).
    var documents: [(path: String, document: Document)] = []
    var loaded: Set<String> = []
    /// Resolved include paths per file, in order.
    var includes: [String: [String]] = [:]

    init(fileSystem: any IDLFileSystem, includePaths: [String]) {
        self.fileSystem = fileSystem
        self.includePaths = includePaths
    }

    mutating func load(root path: String) throws(ThriftCodegenError) -> String {
        let normalized = Paths.normalize(path)
        guard fileSystem.contents(of: normalized) != nil else {
            throw ThriftCodegenError(SourceLocation(file: path, line: 1, column: 1), "cannot read '\(path)'")
        }
        try load(normalized, chain: [])
        return normalized
    }

    private mutating func load(_ path: String, chain: [String]) throws(ThriftCodegenError) {
        if loaded.contains(path) { return }
        guard let text = fileSystem.contents(of: path) else {
            throw ThriftCodegenError(SourceLocation(file: path, line: 1, column: 1), "cannot read '\(path)'")
        }
        let document = try Parser.parse(text, file: path)
        var resolved: [String] = []
        var byName: [String: String] = [:]
        for include in document.includes {
            let found = try find(include, from: path)
            if found == path || chain.contains(found) {
                throw ThriftCodegenError(include.location, "include cycle: '\(include.path)' includes this file again")
            }
            let name = Paths.baseName(of: found)
            if let other = byName[name], other != found {
                throw ThriftCodegenError(include.location, "two included files are named '\(name)' ('\(other)' and '\(found)')")
            }
            byName[name] = found
            try load(found, chain: chain + [path])
            if !resolved.contains(found) { resolved.append(found) }
        }
        includes[path] = resolved
        loaded.insert(path)
        documents.append((path, document))
    }

    /// Looks for an included file next to the including file, then in each include path, as
    /// Apache's compiler does.
    private func find(_ include: Document.Include, from path: String) throws(ThriftCodegenError) -> String {
        var candidates = [Paths.join(Paths.directory(of: path), include.path)]
        if !include.path.hasPrefix("/") {
            candidates += includePaths.map { Paths.join($0, include.path) }
        }
        for candidate in candidates where fileSystem.contents(of: candidate) != nil {
            return candidate
        }
        throw ThriftCodegenError(include.location, "cannot find included file '\(include.path)'")
    }
}
