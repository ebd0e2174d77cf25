// Round-trips a generated value in both protocols and builds the generated processor and client
// types: if this runs, the plugin's output compiled and works.
import Baseplate
import Foundation
import Greeter

let greeting = Greeting(name: "Ada", tone: .formal, titles: ["Dr"], extras: ["k": "v"])
var binary = BinaryWriter()
greeting.write(to: &binary)
var compact = CompactWriter()
greeting.write(to: &compact)
let fromBinary = try binary.bytes.withUnsafeBytes { raw in
    var reader = BinaryReader(raw)
    return try Greeting(from: &reader)
}
let fromCompact = try compact.bytes.withUnsafeBytes { raw in
    var reader = CompactReader(raw)
    return try Greeting(from: &reader)
}
let processor: any ThriftProcessor = GreeterProcessor(handler: GreeterService())
_ = processor
_ = GreeterClient.self
guard fromBinary == greeting, fromCompact == greeting, GreeterConstantsCheck.ok else {
    print("mismatch")
    exit(1)
}
print("greeter-demo: ok (\(binary.bytes.count) bytes binary, \(compact.bytes.count) bytes compact)")

enum GreeterConstantsCheck {
    static let ok = Tone(rawValue: 2) == .formal && Recipient.userId(7) != .name("x")
}
