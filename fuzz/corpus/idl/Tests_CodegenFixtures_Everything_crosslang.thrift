// The cross-language IDL: compiled by thrift-swift (into enum CrossLang of module CodegenFixture)
// and by Apache's `thrift --gen cpp` (Tests/Peers/codegen), whose C++ writes and reads the same
// values as the Swift tests. Only what Thrift 0.17's C++ generator compiles.

namespace swift CrossLang
namespace cpp crosslang

enum Color {
    RED = 1,
    GREEN = 2,
    BLUE = 3,
}

struct Scalars {
    1: bool flag,
    2: i8 tiny,
    3: i16 small,
    4: i32 medium,
    5: i64 big,
    6: double ratio,
    7: string text,
    8: binary blob,
    9: optional i32 maybe,
    10: required string name,
    11: Color color,
}

struct Inner {
    1: i32 id,
    2: string label,
}

struct Collections {
    1: list<i32> numbers,
    2: set<string> words,
    3: map<string, i64> counts,
    4: list<bool> flags,
    5: map<i32, list<string>> nested,
    6: list<list<i64>> grid,
    7: set<i32> ids,
    8: map<Color, Inner> by_color,
    9: list<Inner> inners,
    10: map<string, string> empty_map,
    11: set<double> reals,
    12: list<binary> blobs,
    13: map<bool, i8> by_bool,
}

union Choice {
    1: i32 number,
    2: string text,
    3: Inner inner,
}

exception Failure {
    1: string reason,
    2: i32 code,
}

struct Everything {
    1: Scalars scalars,
    2: Collections collections,
    3: Choice choice,
    4: optional Failure failure,
    5: list<Choice> choices,
    6: i32 defaulted = 42,
    7: optional string absent,
    8: Inner inner,
}

service CrossService {
    Everything echo(1: Everything value) throws (1: Failure failure),
    oneway void poke(1: i32 n),
}
