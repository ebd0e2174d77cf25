# Every construct thrift-swift handles, compiled by the plugin into module CodegenFixture
# (Swift-only: Apache's C++ generator cannot compile some of this, e.g. uuid).

namespace swift CodegenFixture
namespace cpp everything
namespace * fixture

include "shared.thrift"
include "base.thrift"
cpp_include "<vector>"

/** Milliseconds since the epoch. */
typedef i64 Timestamp
typedef list<shared.Point> Path
/* A typedef of an enum defined further down (a forward reference). */
typedef Status StatusAlias
typedef string (note = "annotated base type") Label

const i32 MAX_ITEMS = 100;
const double PI = 3.14159
const double ONE = 1
const string GREETING = "hello \"world\"\n\ttab 'single' \\ done"
const string SINGLE_QUOTED = 'it\'s "quoted"'
const binary MAGIC = "abc"
const bool ENABLED = true
const bool DISABLED = false
const byte SMALLEST = -128
const i16 BIGGEST_SHORT = 0x7fff
const i64 MIN_LONG = -9223372036854775808
const i64 HEX_NEGATIVE = -0x10
const double EXPONENT = 1.5e3
const double NEGATIVE_FRACTION = -.25
const list<i32> PRIMES = [2, 3, 5, 7,]
const set<string> TAGS = ["b", "a", "b"]
const map<string, list<i32>> NESTED = {"x": [1, 2], "y": []}
const map<i32, string> EMPTY_MAP = {}
const Status DEFAULT_STATUS = Status.ACTIVE
const i32 ACTIVE_CODE = Status.ACTIVE
const i32 ALIAS_OF_MAX = MAX_ITEMS
const i64 WIDENED = MAX_ITEMS
const shared.Point ORIGIN = {"x": 0, "y": 0}
const shared.Color PRIMARY = shared.Color.RED
const Timestamp EPOCH = 0
const uuid SOME_ID = "00112233-4455-6677-8899-aabbccddeeff"
const Shape UNIT_CIRCLE = {"circle": {"radius": 1.0}}
const Defaults CUSTOM_DEFAULTS = {"count": 3, "status": Status.SUSPENDED, "names": []}
const list<shared.Point> PATH = [{"x": 1, "y": 2}, ORIGIN]

/** Lifecycle of an account. */
enum Status {
    UNKNOWN,
    ACTIVE = 1,
    /** Suspended by an operator. */
    SUSPENDED,
    DELETED = -1,
    default = 10 (note = "a Swift keyword"),
    RETIRED = 1,
}

enum Nothing {
}

/** Every base type. */
struct Primitives {
    1: bool flag,
    2: byte tiny,
    3: i8 small,
    4: i16 short_value,
    5: i32 int_value,
    6: i64 long_value,
    7: double ratio,
    8: string text,
    9: binary blob,
    10: uuid id,
    11: Timestamp at,
    12: Label label,
}

/** Defaults of every requiredness. */
struct Defaults {
    1: i32 count = 7,
    2: optional string label = "none",
    3: required Status status = Status.ACTIVE,
    4: list<string> names = ["a", "b"],
    5: map<i32, string> lookup = {1: "one", 2: "two"},
    6: double scale = 2,
    7: shared.Point where = {"x": 1, "y": 2},
    8: Timestamp at = EPOCH,
    9: Status plain,
    10: set<i32> ids = [3, 1, 2],
    11: uuid token = SOME_ID,
    12: binary bytes = MAGIC,
    13: bool on = ENABLED,
    14: StatusAlias aliased = Status.DELETED,
}

struct Containers {
    1: list<list<i32>> matrix,
    2: set<i64> ids,
    3: map<string, set<string>> groups,
    4: list<Status> statuses,
    5: map<Status, shared.Point> points,
    6: set<shared.Point> point_set,
    7: map<list<i32>, string> list_keys,
    8: list<binary> blobs,
    9: set<bool> bools,
    10: map<double, uuid> by_double,
    11: optional list<map<string, list<shared.Point>>> deep,
    12: map<binary, i8> by_bytes,
    13: set<uuid> uuids,
    14: Path path,
    15: map<string, Shape> shapes,
}

/** Names that are Swift keywords or clash with generated members. */
struct Keywords {
    1: string class,
    2: i32 in,
    3: bool self,
    4: string protocol,
    5: i32 hashValue,
    6: string type,
    7: i32 default,
    8: string reader,
    9: string writer,
    10: i32 field,
}

/** A tree: it contains itself through a list, which needs no boxing. */
struct Tree {
    1: string label,
    2: list<Tree> children,
}

/** A linked list: it contains itself by value, so its fields live in a box. */
struct Node {
    1: required i32 value,
    2: optional Node& next,
}

/** Mutually recursive structs. */
struct Ping {
    1: optional Pong pong,
    2: i32 count,
}

struct Pong {
    1: Ping ping,
}

/** A union of structs defined after it (forward references). */
union Shape {
    1: Circle circle,
    2: Rect rect,
    /** Just a name. */
    3: string named,
}

struct Circle {
    1: double radius,
}

struct Rect {
    1: double width,
    2: double height,
}

/** A recursive union. */
union Expr {
    1: i64 literal,
    2: Sum sum,
    3: Expr negate,
}

struct Sum {
    1: required Expr left,
    2: required Expr right,
}

struct WithRequired {
    1: required string name,
    2: required list<i32> values,
    3: optional i32 extra,
}

/** Fields whose types have no zero value become optional. */
struct NoZero {
    1: Shape shape,
    2: WithRequired inner,
    3: i32 plain,
}

struct ImplicitIds {
    i32 first,
    string second,
}

struct Annotated {
    1: i32 x (cpp.type = "int32_t", swift.note = "ignored"),
    2: list<string> (cpp.template = "std::vector") names,
    3: i32 legacy xsd_optional,
} (final, note = "annotations are accepted everywhere")

exception NotFound {
    1: string key,
    2: optional i32 code,
}

/** An exception named Error: declared at module level it becomes `CodegenFixtureError`. */
exception Error {
    1: string message,
}

/** Everything a service can declare; extends a service of another module. */
service Everything extends base.BaseService {
    /** Returns its argument. */
    Primitives echo_primitives(1: Primitives value),
    Containers echo_containers(1: Containers value),
    Defaults echo_defaults(1: Defaults value),
    void nothing(),
    oneway void notify(1: string message),
    Shape transform(1: Shape shape, 2: optional double factor) throws (1: NotFound not_found, 2: Error error),
    i32 count(1: list<string> items, 2: i32 context),
    Node reverse(1: Node head),
    void fail_with(1: i32 code) throws (1: NotFound not_found),
    StatusAlias status_of(1: string name),
    Expr simplify(1: Expr expr),
    NoZero no_zero(1: WithRequired required_arg, 2: Shape shape),
    Keywords keywords(1: Keywords in),
    Label missing_result(),
}

/** Extends a service of this file, which extends one of another module. */
service Derived extends Everything {
    Timestamp now(),
}
