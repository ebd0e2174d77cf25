// A small IDL whose generated Swift is compared with small.thrift.swift.golden.
// Regenerate the golden file with THRIFT_SWIFT_UPDATE_GOLDEN=1 swift test --filter GeneratorTests.

namespace swift Small

/** A colour. */
enum Colour {
    RED = 1,
    /** Green. */
    GREEN,
}

/** A point. */
struct Point {
    /** Across. */
    1: required i32 x,
    2: optional i32 y = 4,
    3: set<string> tags,
}

union Value {
    1: Point point,
    2: map<Colour, binary> bytes,
}

exception Missing {
    1: string key,
}

const Colour DEFAULT = Colour.GREEN

service Lookup {
    /** Finds a point. */
    Point find(1: string key) throws (1: Missing missing),
    oneway void forget(1: string key),
}
