// Baseplate's shared service definitions. Names, field ids and types are fixed by the
// wire: every baseplate service in the fleet answers these, whatever language it is in.

namespace py baseplate.thrift
namespace go reddit.baseplate
namespace java com.reddit.baseplate
namespace swift Baseplate

typedef i64 TimestampMilliseconds

/** Deprecated: old clients still call it. */
service BaseplateService {
    bool is_healthy(),
}

/** Which health question a probe asks. */
enum IsHealthyProbe {
    READINESS = 1,
    LIVENESS = 2,
    STARTUP = 3,
}

struct IsHealthyRequest {
    1: optional IsHealthyProbe probe,
}

service BaseplateServiceV2 {
    /** True when the service is healthy for the probe asked about. */
    bool is_healthy(1: IsHealthyRequest request),
}

/** HTTP-like status codes carried by `Error`. */
enum ErrorCode {
    BAD_REQUEST = 400,
    UNAUTHORIZED = 401,
    PAYMENT_REQUIRED = 402,
    FORBIDDEN = 403,
    NOT_FOUND = 404,
    CONFLICT = 409,
    GONE = 410,
    PRECONDITION_FAILED = 412,
    PAYLOAD_TOO_LARGE = 413,
    IM_A_TEAPOT = 418,
    MISDIRECTED_REQUEST = 421,
    UNPROCESSABLE_ENTITY = 422,
    LOCKED = 423,
    FAILED_DEPENDENCY = 424,
    TOO_EARLY = 425,
    PRECONDITION_REQUIRED = 428,
    TOO_MANY_REQUESTS = 429,
    REQUEST_HEADER_FIELDS_TOO_LARGE = 431,
    UNAVAILABLE_FOR_LEGAL_REASONS = 451,
    INTERNAL_SERVER_ERROR = 500,
    NOT_IMPLEMENTED = 501,
    BAD_GATEWAY = 502,
    SERVICE_UNAVAILABLE = 503,
    TIMEOUT = 504,
    INSUFFICIENT_STORAGE = 507,
    LOOP_DETECTED = 508,
    USER_DEFINED = 1000,
}

/** The error every baseplate service may declare. */
exception Error {
    1: optional i32 code,
    2: optional string message,
    3: optional map<string, string> details,
    4: optional bool retryable,
}
