// The example service: baseplate's health checks plus a small greeting API that shows the IDL
// constructs a service typically uses.

namespace swift ExampleService

include "baseplate.thrift"

/** How a greeting is said. */
enum Tone {
    FRIENDLY = 1,
    FORMAL = 2,
}

/** A greeting, as the service returns it. */
struct Greeting {
    1: required string text,
    2: optional Tone tone,
    3: list<string> recipients,
    4: map<string, i64> counts,
}

/** Where a recorded visitor can be reached. */
union Contact {
    1: string email,
    2: i64 phone,
}

/** An opaque payload of a typical size (perf/run's S3 rows: 1 KiB of text, 32 numbers). */
struct Blob {
    1: string data,
    2: list<i64> values,
}

/** Raised when a greeting names too many people. */
exception TooManyRecipients {
    1: i32 limit,
}

service ExampleService extends baseplate.BaseplateServiceV2 {
    /** Greets everyone in `names`; more than `limit` names is refused. */
    Greeting greet(1: list<string> names, 2: optional Tone tone) throws (1: TooManyRecipients too_many),

    /** Remembers a contact; no reply is sent. */
    oneway void record(1: Contact contact),

    /** The contacts recorded so far. */
    list<Contact> contacts(),

    /** Returns `blob` unchanged: a request and reply with a body to decode and encode. */
    Blob echo_blob(1: Blob blob),
}
