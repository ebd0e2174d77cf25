// Types in a file without `namespace swift`: the Swift namespace comes from the file name, and as it
// is not the module's name, the definitions are declared inside `public enum Shared`.

namespace cpp shared

/** A point on a grid. */
struct Point {
    1: i32 x,
    2: i32 y,
}

enum Color {
    RED = 1,
    GREEN = 2,
    BLUE = 3,
}

const Point UNIT_X = {"x": 1, "y": 0}
const Color FAVOURITE = Color.GREEN

/** A service declared inside a namespace enum. */
service Geometry {
    i64 distance_squared(1: Point a, 2: Point b),
}
