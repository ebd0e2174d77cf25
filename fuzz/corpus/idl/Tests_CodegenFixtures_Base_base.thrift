// A service and types in their own module (CodegenFixtureBase), for everything.thrift to include
// and extend from another module.

namespace swift CodegenFixtureBase
namespace cpp codegen_base

/** Where a request came from. */
struct Origin {
    1: required string host,
    2: optional i32 port,
}

exception BaseError {
    1: string reason,
}

/** The service everything.thrift's services extend. */
service BaseService {
    /** Echoes the message back. */
    string ping(1: string message),
    i32 add(1: i32 a, 2: i32 b) throws (1: BaseError error),
}
