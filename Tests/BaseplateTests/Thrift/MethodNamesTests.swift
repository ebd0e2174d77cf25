@testable import Baseplate
import Testing

/// A loop remembers the names of methods it dispatched and matches later requests' names
/// against their bytes: equal bytes give the remembered String, anything else is decoded.
@Suite struct MethodNamesTests {
    func name(_ names: MethodNames, _ text: String) throws -> String {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { try names.name($0.baseAddress!, count: $0.count) }
    }

    @Test func rememberedNamesAreMatchedByTheirBytes() throws {
        let names = MethodNames()
        #expect(try name(names, "is_healthy") == "is_healthy")
        #expect(names.missed)
        names.remember("is_healthy")
        names.remember("greet")
        #expect(try name(names, "is_healthy") == "is_healthy" && !names.missed)
        #expect(try name(names, "greet") == "greet" && !names.missed)
        // Same length, other bytes; a prefix; the empty name: decoded, not matched.
        #expect(try name(names, "is_heal_hy") == "is_heal_hy" && names.missed)
        #expect(try name(names, "gree") == "gree" && names.missed)
        #expect(try name(names, "") == "" && names.missed)
        #expect(try name(names, "échec") == "échec" && names.missed)
    }

    @Test func invalidUTF8IsStillAnError() {
        let names = MethodNames()
        let bytes: [UInt8] = [0x66, 0xC0, 0xAF]  // an overlong '/'
        #expect(throws: ThriftProtocolError.self) {
            try bytes.withUnsafeBytes { try names.name($0.baseAddress!, count: $0.count) }
        }
    }

    @Test func atMostCapacityNamesAreKept() throws {
        let names = MethodNames()
        for i in 0..<(MethodNames.capacity + 10) { names.remember("m\(i)") }
        #expect(try name(names, "m\(MethodNames.capacity - 1)") == "m\(MethodNames.capacity - 1)" && !names.missed)
        #expect(try name(names, "m\(MethodNames.capacity)") == "m\(MethodNames.capacity)" && names.missed)
    }
}
