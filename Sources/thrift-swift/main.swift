// thrift-swift: compiles Thrift IDL to Swift.
//
//   thrift-swift [-I DIR]... [--out DIR] [--module-name NAME] FILE.thrift...
//
// Writes DIR/<name>.thrift.swift for each FILE (DIR defaults to the current directory). Errors are
// printed as `file:line:col: error: message`, and the exit status is 1 (64 for bad usage).

import Foundation
import ThriftCodegen

let usage = """
    usage: thrift-swift [-I DIR]... [--out DIR] [--module-name NAME] FILE.thrift...

      -I DIR              look for included files in DIR (after the including file's directory)
      --out DIR           write the generated files to DIR (default: .)
      --module-name NAME  the Swift module the files are compiled into; a file whose Swift
                          namespace is NAME is generated at module level, others in a namespace enum
      -h, --help          show this help
    """

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(status)
}

var includePaths: [String] = []
var outputDirectory = "."
var moduleName: String?
var files: [String] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "-h", "--help":
        print(usage)
        exit(0)
    case "-I", "--out", "--module-name":
        guard let value = arguments.popFirst() else { fail("thrift-swift: \(argument) needs a value\n\(usage)", status: 64) }
        switch argument {
        case "-I": includePaths.append(value)
        case "--out": outputDirectory = value
        default: moduleName = value
        }
    case _ where argument.hasPrefix("-I") && argument.count > 2:
        includePaths.append(String(argument.dropFirst(2)))
    case _ where argument.hasPrefix("--out="):
        outputDirectory = String(argument.dropFirst("--out=".count))
    case _ where argument.hasPrefix("--module-name="):
        moduleName = String(argument.dropFirst("--module-name=".count))
    case _ where argument.hasPrefix("-"):
        fail("thrift-swift: unknown option \(argument)\n\(usage)", status: 64)
    default:
        files.append(argument)
    }
}
if files.isEmpty { fail(usage, status: 64) }

do {
    let generated = try ThriftCodegen.generate(paths: files, includePaths: includePaths, moduleName: moduleName)
    try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
    for file in generated {
        let path = (outputDirectory as NSString).appendingPathComponent(file.name)
        try Data(file.contents.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
} catch let error as ThriftCodegenError {
    fail(error.description, status: 1)
} catch {
    fail("thrift-swift: \(error)", status: 1)
}
