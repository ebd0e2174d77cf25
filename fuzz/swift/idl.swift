// Fuzz target: the Thrift compiler (Sources/ThriftCodegen) from IDL text to Swift text. Any input
// must give generated files or a ThriftCodegenError, never a crash or a hang. A NUL byte splits the
// input into a main file and one it may include as "other.thrift", so includes are reached too.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parts = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
    let main = String(decoding: parts[0], as: UTF8.self)
    let other = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : ""
    let files = MemoryFileSystem(["main.thrift": main, "other.thrift": other])
    do {
        let generated = try ThriftCodegen.generate(paths: ["main.thrift"], fileSystem: files)
        if generated.isEmpty { fatalError("no output and no error") }
    } catch {
        // An error with a location and a message is the expected outcome for bad IDL.
        _ = error.description
    }
    return 0
}
