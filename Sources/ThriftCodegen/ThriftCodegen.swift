/// The compiler's entry points: IDL files in, Swift files out. Stages: `Lexer`/`Parser` (syntax)
/// → `Resolver` (the neutral `Model`) → `SwiftGenerator` (structured Swift) → `SwiftRenderer`
/// (text). The `thrift-swift` CLI and the build plugin are thin shells over `generate`.
public enum ThriftCodegen {
    /// Compiles IDL files (and reads the files they include) to one Swift file each.
    ///
    /// - Parameters:
    ///   - paths: the IDL files to generate code for, compiled into one module.
    ///   - includePaths: where to look for included files after the including file's directory.
    ///   - moduleName: the Swift module the code is compiled into (see `SwiftGenerator`).
    ///   - fileSystem: where files are read from.
    public static func generate(paths: [String], includePaths: [String] = [], moduleName: String? = nil,
                                fileSystem: any IDLFileSystem = DiskFileSystem()) throws(ThriftCodegenError) -> [GeneratedFile] {
        let model = try Resolver.resolve(paths: paths, includePaths: includePaths, fileSystem: fileSystem)
        let generator = try SwiftGenerator(model: model, options: .init(moduleName: moduleName))
        return try generator.generate()
    }

    /// The name of the Swift file generated from an IDL file: `dir/foo.thrift` → `foo.thrift.swift`.
    public static func outputFileName(for idlPath: String) -> String {
        Paths.baseName(of: idlPath) + ".thrift.swift"
    }
}
