// loadgen: a single-threaded epoll load generator for Thrift servers answering
// BaseplateServiceV2.is_healthy. It keeps `depth` requests in flight on each of `conns`
// connections, checks every reply byte by byte against what a correct server must send,
// and prints a one-line machine-readable summary and a human line.
//
// Dialects: THeader with the compact protocol inside (what baseplate.py and baseplate.go
// clients send), THeader with binary inside, and framed strict binary.
//
// Latency is measured per request, from the moment the request is queued (right before the
// write that sends it) to the moment the read that returned its reply completed, and kept
// in a log-linear histogram (1/64 relative resolution), not in an array of samples.
//
// Any deviation from a correct reply prints the problem and exits 1.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// ---------------------------------------------------------------------------------------
// Small helpers

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    // The summary line is still printed, with errors=1, so scripts see a parseable result.
    printf("reqs=0 secs=0 rps=0 p50_us=0 p99_us=0 p999_us=0 errors=1\n");
    fflush(stdout);
    exit(1);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_self_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put_be16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static uint32_t get_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static size_t put_varint(uint8_t *p, uint32_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

// ---------------------------------------------------------------------------------------
// Latency histogram: values below 128 ns are exact; above, each power of two is split into
// 64 buckets, so a bucket is at most 1/64 (1.6 %) wide relative to its value.

#define HIST_BUCKETS 4096

struct hist {
    uint64_t count[HIST_BUCKETS];
    uint64_t total;
    uint64_t max;
};

static unsigned hist_index(uint64_t v) {
    if (v < 128) return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - 6;
    unsigned mant = (unsigned)(v >> shift); // 64..127
    unsigned idx = 128 + (shift - 1) * 64 + (mant - 64);
    return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

static double hist_value(unsigned idx) {
    if (idx < 128) return (double)idx;
    unsigned shift = (idx - 128) / 64 + 1;
    unsigned mant = (idx - 128) % 64 + 64;
    // midpoint of the bucket
    return ((double)mant + 0.5) * (double)(1ull << shift);
}

static void hist_add(struct hist *h, uint64_t v) {
    h->count[hist_index(v)]++;
    h->total++;
    if (v > h->max) h->max = v;
}

static double hist_quantile(const struct hist *h, double q) {
    if (h->total == 0) return 0;
    uint64_t rank = (uint64_t)(q * (double)h->total);
    if (rank >= h->total) rank = h->total - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->count[i];
        if (seen > rank) {
            double v = hist_value(i);
            return v > (double)h->max ? (double)h->max : v;
        }
    }
    return (double)h->max;
}

// ---------------------------------------------------------------------------------------
// Dialects and the request encoder

enum dialect { THEADER_COMPACT, THEADER_BINARY, FRAMED_BINARY };

static const char *dialect_name(enum dialect d) {
    switch (d) {
    case THEADER_COMPACT: return "theader-compact";
    case THEADER_BINARY: return "theader-binary";
    case FRAMED_BINARY: return "framed-binary";
    }
    return "?";
}

#define PROTO_BINARY 0
#define PROTO_COMPACT 2
#define MSG_CALL 1
#define MSG_REPLY 2
#define MSG_EXCEPTION 3
#define T_BOOL 2
#define T_I32 8
#define T_STRING 11
#define T_STRUCT 12
#define C_TRUE 1
#define C_FALSE 2
#define C_I32 5
#define C_BINARY 8

#define T_I64 10
#define T_LIST 15
#define C_I64 6
#define C_LIST 9
#define C_STRUCT 12

// The methods the loadgen can call. is_healthy: BaseplateServiceV2.is_healthy(IsHealthyRequest{
// probe = READINESS}) -> true. echo_blob: the example's ExampleService.echo_blob(Blob{data: 1 KiB
// string, values: 32 i64}) -> the same Blob (perf/run's S3 rows: a body to decode and encode).
enum method { IS_HEALTHY, ECHO_BLOB };
static enum method method = IS_HEALTHY;
static const char *method_name = "is_healthy";

#define BLOB_DATA_LEN 1024
#define BLOB_VALUES 32
static char blob_data[BLOB_DATA_LEN];
static int64_t blob_values[BLOB_VALUES];

// Printable text and numbers of both signs, some beyond 32 bits, so every varint length occurs.
static void blob_init(void) {
    for (size_t i = 0; i < BLOB_DATA_LEN; i++) blob_data[i] = (char)(' ' + (i * 7) % 95);
    for (int i = 0; i < BLOB_VALUES; i++) blob_values[i] = (int64_t)(i - 16) * 1000000007LL * (1 + i % 3);
}

#define MAX_REQUEST 2048

// The THeader part before the payload is built once: length (patched per request), magic,
// flags, seqid (patched), header size, then protocol id, no transforms, one KEYVALUE block,
// and zero padding to a 4-byte boundary as Python's THeaderTransport writes it (0-3 bytes).
// The call's arguments are built once too, in the protocol of the dialect; only the message
// header (which holds the seqid) is written per request.
struct encoder {
    enum dialect dialect;
    uint8_t theader_prefix[MAX_REQUEST];
    size_t theader_prefix_len;
    uint8_t args[MAX_REQUEST];
    size_t args_len;
    size_t sampled_at; // offset of the one-byte value of a `Sampled` header in the prefix; 0: none
};

// --sampled-every N: every Nth request (by seqid) says `Sampled: 1`, the others `0`, as if the
// callers sampled 1/N of their traces (baseplate.py's default tracing.sample_rate is 0.1).
static unsigned sampled_every;

struct kv {
    const char *key, *value;
};

static void put_be64(uint8_t *p, uint64_t v) {
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static size_t put_varint64(uint8_t *p, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static uint64_t zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

// Binary: is_healthy_args{1: IsHealthyRequest{1: probe = 1}} or echo_blob_args{1: Blob}.
static size_t encode_binary_args(uint8_t *p) {
    size_t n = 0;
    p[n++] = T_STRUCT;
    put_be16(p + n, 1);
    n += 2;
    if (method == IS_HEALTHY) {
        p[n++] = T_I32;
        put_be16(p + n, 1);
        n += 2;
        put_be32(p + n, 1);
        n += 4;
    } else {
        p[n++] = T_STRING;
        put_be16(p + n, 1);
        n += 2;
        put_be32(p + n, BLOB_DATA_LEN);
        n += 4;
        memcpy(p + n, blob_data, BLOB_DATA_LEN);
        n += BLOB_DATA_LEN;
        p[n++] = T_LIST;
        put_be16(p + n, 2);
        n += 2;
        p[n++] = T_I64;
        put_be32(p + n, BLOB_VALUES);
        n += 4;
        for (int i = 0; i < BLOB_VALUES; i++, n += 8) put_be64(p + n, (uint64_t)blob_values[i]);
    }
    p[n++] = 0; // stop the inner struct
    p[n++] = 0; // stop args
    return n;
}

static size_t encode_compact_args(uint8_t *p) {
    size_t n = 0;
    p[n++] = 0x1C; // field delta 1, STRUCT
    if (method == IS_HEALTHY) {
        p[n++] = 0x15; // field delta 1, I32
        p[n++] = 0x02; // zigzag(1)
    } else {
        p[n++] = 0x18; // field delta 1, BINARY
        n += put_varint(p + n, BLOB_DATA_LEN);
        memcpy(p + n, blob_data, BLOB_DATA_LEN);
        n += BLOB_DATA_LEN;
        p[n++] = 0x19; // field delta 1, LIST
        p[n++] = 0xF0 | C_I64; // size >= 15: the size follows as a varint
        n += put_varint(p + n, BLOB_VALUES);
        for (int i = 0; i < BLOB_VALUES; i++) n += put_varint64(p + n, zigzag64(blob_values[i]));
    }
    p[n++] = 0; // stop the inner struct
    p[n++] = 0; // stop args
    return n;
}

static void encoder_init(struct encoder *e, enum dialect d, const struct kv *headers, size_t nheaders) {
    memset(e, 0, sizeof *e);
    e->dialect = d;
    e->args_len = d == THEADER_COMPACT ? encode_compact_args(e->args) : encode_binary_args(e->args);
    if (d == FRAMED_BINARY) return;
    uint8_t info[MAX_REQUEST];
    size_t n = 0;
    n += put_varint(info + n, d == THEADER_COMPACT ? PROTO_COMPACT : PROTO_BINARY);
    n += put_varint(info + n, 0); // no transforms
    if (nheaders > 0) {
        n += put_varint(info + n, 1); // INFO_KEYVALUE
        n += put_varint(info + n, (uint32_t)nheaders);
        for (size_t i = 0; i < nheaders; i++) {
            size_t kl = strlen(headers[i].key), vl = strlen(headers[i].value);
            if (n + kl + vl + 12 > sizeof info - 8) die("header set too large");
            n += put_varint(info + n, (uint32_t)kl);
            memcpy(info + n, headers[i].key, kl);
            n += kl;
            n += put_varint(info + n, (uint32_t)vl);
            if (!strcmp(headers[i].key, "Sampled") && vl == 1) e->sampled_at = 14 + n;
            memcpy(info + n, headers[i].value, vl);
            n += vl;
        }
    }
    while (n % 4) info[n++] = 0;
    uint8_t *p = e->theader_prefix;
    put_be32(p, 0);            // length, patched
    put_be16(p + 4, 0x0FFF);   // magic
    put_be16(p + 6, 0);        // flags
    put_be32(p + 8, 0);        // seqid, patched
    put_be16(p + 12, (uint16_t)(n / 4));
    memcpy(p + 14, info, n);
    e->theader_prefix_len = 14 + n;
}

static size_t encode_binary_call(const struct encoder *e, uint8_t *p, uint32_t seq) {
    size_t n = 0, len = strlen(method_name);
    put_be32(p + n, 0x80010000u | MSG_CALL);
    n += 4;
    put_be32(p + n, (uint32_t)len);
    n += 4;
    memcpy(p + n, method_name, len);
    n += len;
    put_be32(p + n, seq);
    n += 4;
    memcpy(p + n, e->args, e->args_len);
    return n + e->args_len;
}

static size_t encode_compact_call(const struct encoder *e, uint8_t *p, uint32_t seq) {
    size_t n = 0, len = strlen(method_name);
    p[n++] = 0x82;
    p[n++] = (uint8_t)(1 | (MSG_CALL << 5));
    n += put_varint(p + n, seq); // plain varint, as C++ writes it
    n += put_varint(p + n, (uint32_t)len);
    memcpy(p + n, method_name, len);
    n += len;
    memcpy(p + n, e->args, e->args_len);
    return n + e->args_len;
}

static size_t encode_request(const struct encoder *e, uint8_t *p, uint32_t seq) {
    if (e->dialect == FRAMED_BINARY) {
        size_t n = encode_binary_call(e, p + 4, seq);
        put_be32(p, (uint32_t)n);
        return n + 4;
    }
    memcpy(p, e->theader_prefix, e->theader_prefix_len);
    put_be32(p + 8, seq);
    if (sampled_every && e->sampled_at) p[e->sampled_at] = seq % sampled_every == 0 ? '1' : '0';
    size_t n = e->theader_prefix_len;
    n += e->dialect == THEADER_COMPACT ? encode_compact_call(e, p + n, seq) : encode_binary_call(e, p + n, seq);
    put_be32(p, (uint32_t)(n - 4));
    return n;
}

// ---------------------------------------------------------------------------------------
// Reply checking. Each check writes a description of the first problem into `err`.

struct reader {
    const uint8_t *p, *end;
    bool bad;
};

static bool rd_need(struct reader *r, size_t n) {
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return false;
    }
    return true;
}

static uint8_t rd_u8(struct reader *r) { return rd_need(r, 1) ? *r->p++ : 0; }

static uint16_t rd_be16(struct reader *r) {
    if (!rd_need(r, 2)) return 0;
    uint16_t v = get_be16(r->p);
    r->p += 2;
    return v;
}

static uint32_t rd_be32(struct reader *r) {
    if (!rd_need(r, 4)) return 0;
    uint32_t v = get_be32(r->p);
    r->p += 4;
    return v;
}

static uint32_t rd_varint(struct reader *r) {
    uint32_t v = 0;
    for (unsigned shift = 0; shift < 35; shift += 7) {
        uint8_t b = rd_u8(r);
        if (r->bad) return 0;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    r->bad = true;
    return 0;
}

static const uint8_t *rd_bytes(struct reader *r, size_t n) {
    if (!rd_need(r, n)) return NULL;
    const uint8_t *s = r->p;
    r->p += n;
    return s;
}

#define FAIL(...)                                                                              \
    do {                                                                                       \
        snprintf(err, errsz, __VA_ARGS__);                                                     \
        return false;                                                                          \
    } while (0)

// Decodes TApplicationException{1: string message, 2: i32 type} for the error text.
static void describe_exception(struct reader *r, bool compact, char *out, size_t outsz) {
    char msg[256] = "";
    int32_t type = -1;
    int16_t last = 0;
    for (;;) {
        uint8_t b = rd_u8(r);
        if (r->bad || b == 0) break;
        int16_t id;
        unsigned tt;
        if (compact) {
            tt = b & 0x0f;
            if (b >> 4) {
                id = (int16_t)(last + (b >> 4));
            } else {
                uint32_t z = rd_varint(r);
                id = (int16_t)((z >> 1) ^ -(int32_t)(z & 1));
            }
            last = id;
        } else {
            tt = b;
            id = (int16_t)rd_be16(r);
        }
        bool is_string = compact ? tt == C_BINARY : tt == T_STRING;
        bool is_i32 = compact ? tt == C_I32 : tt == T_I32;
        if (id == 1 && is_string) {
            uint32_t len = compact ? rd_varint(r) : rd_be32(r);
            const uint8_t *s = rd_bytes(r, len);
            if (!s) break;
            snprintf(msg, sizeof msg, "%.*s", (int)(len > 200 ? 200 : len), (const char *)s);
        } else if (id == 2 && is_i32) {
            if (compact) {
                uint32_t z = rd_varint(r);
                type = (int32_t)((z >> 1) ^ -(int32_t)(z & 1));
            } else {
                type = (int32_t)rd_be32(r);
            }
        } else {
            break;
        }
    }
    snprintf(out, outsz, "TApplicationException type=%d message=\"%s\"", type, msg);
}

static uint64_t rd_varint64(struct reader *r) {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint8_t b = rd_u8(r);
        if (r->bad) return 0;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    r->bad = true;
    return 0;
}

// Reads a field header; false at the struct's stop byte (or when truncated: check r->bad).
// `type` is the protocol's own type code; `last` carries compact's field-id deltas.
static bool rd_field(struct reader *r, bool compact, int16_t *last, int16_t *id, unsigned *type) {
    uint8_t b = rd_u8(r);
    if (r->bad || b == 0) return false;
    if (compact) {
        *type = b & 0x0f;
        if (b >> 4) {
            *id = (int16_t)(*last + (b >> 4));
        } else {
            uint32_t z = rd_varint(r);
            *id = (int16_t)((z >> 1) ^ -(int32_t)(z & 1));
        }
        *last = *id;
    } else {
        *type = b;
        *id = (int16_t)rd_be16(r);
    }
    return !r->bad;
}

// echo_blob_result{0: Blob success}: the Blob must be the one sent, field by field (any order).
static bool check_blob_result(struct reader *r, bool compact, char *err, size_t errsz) {
    bool have_success = false;
    int16_t last = 0, id;
    unsigned type;
    while (rd_field(r, compact, &last, &id, &type)) {
        if (id != 0) FAIL("unexpected result field id %d", id);
        if (type != (compact ? C_STRUCT : T_STRUCT)) FAIL("result field 0 has type %u, want struct", type);
        if (have_success) FAIL("result field 0 twice");
        have_success = true;
        bool have_data = false, have_values = false;
        int16_t inner_last = 0; // a nested compact struct starts its field-id deltas afresh
        while (rd_field(r, compact, &inner_last, &id, &type)) {
            if (id == 1) {
                if (type != (compact ? C_BINARY : T_STRING)) FAIL("Blob.data has type %u, want string", type);
                uint32_t len = compact ? rd_varint(r) : rd_be32(r);
                const uint8_t *d = rd_bytes(r, len);
                if (!d) FAIL("Blob.data truncated (length %u)", len);
                if (len != BLOB_DATA_LEN || memcmp(d, blob_data, BLOB_DATA_LEN) != 0)
                    FAIL("Blob.data differs from the request's (%u bytes, want %d)", len, BLOB_DATA_LEN);
                if (have_data) FAIL("Blob.data twice");
                have_data = true;
            } else if (id == 2) {
                if (type != (compact ? C_LIST : T_LIST)) FAIL("Blob.values has type %u, want list", type);
                unsigned elem;
                uint32_t size;
                if (compact) {
                    uint8_t h = rd_u8(r);
                    elem = h & 0x0f;
                    size = (h >> 4) == 15 ? rd_varint(r) : (uint32_t)(h >> 4);
                    if (elem != C_I64) FAIL("Blob.values element type %u, want i64", elem);
                } else {
                    elem = rd_u8(r);
                    size = rd_be32(r);
                    if (elem != T_I64) FAIL("Blob.values element type %u, want i64", elem);
                }
                if (r->bad) FAIL("Blob.values header truncated");
                if (size != BLOB_VALUES) FAIL("Blob.values has %u elements, want %d", size, BLOB_VALUES);
                for (int i = 0; i < BLOB_VALUES; i++) {
                    int64_t v;
                    if (compact) {
                        uint64_t z = rd_varint64(r);
                        v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
                    } else {
                        uint64_t hi = rd_be32(r);
                        v = (int64_t)((hi << 32) | rd_be32(r));
                    }
                    if (r->bad) FAIL("Blob.values truncated");
                    if (v != blob_values[i])
                        FAIL("Blob.values[%d] = %lld, want %lld", i, (long long)v, (long long)blob_values[i]);
                }
                if (have_values) FAIL("Blob.values twice");
                have_values = true;
            } else {
                FAIL("unexpected Blob field id %d", id);
            }
        }
        if (r->bad) FAIL("Blob truncated");
        if (!have_data || !have_values) FAIL("Blob lacks %s", have_data ? "values" : "data");
    }
    if (r->bad) FAIL("result struct truncated");
    if (!have_success) FAIL("result has no success field (0)");
    if (r->p != r->end) FAIL("%zu trailing bytes after the result struct", (size_t)(r->end - r->p));
    return true;
}

// Checks one Thrift message (the payload of a frame) against the expected reply.
static bool check_message(const uint8_t *p, size_t n, bool compact, uint32_t want_seq, char *err,
                          size_t errsz) {
    struct reader r = {p, p + n, false};
    unsigned type;
    uint32_t seq, name_len;
    if (compact) {
        uint8_t id = rd_u8(&r), vt = rd_u8(&r);
        if (r.bad) FAIL("compact message header truncated");
        if (id != 0x82) FAIL("compact protocol id 0x%02x, want 0x82", id);
        if ((vt & 0x1f) != 1) FAIL("compact version %u, want 1", vt & 0x1f);
        type = (vt >> 5) & 7;
        seq = rd_varint(&r);
        name_len = rd_varint(&r);
    } else {
        uint32_t v = rd_be32(&r);
        if (r.bad) FAIL("binary message header truncated");
        if ((v & 0xffff0000u) != 0x80010000u) FAIL("binary message version word 0x%08x, want strict 0x8001xxxx", v);
        type = v & 0xff;
        name_len = rd_be32(&r);
    }
    const uint8_t *name = rd_bytes(&r, name_len);
    if (!compact) seq = rd_be32(&r);
    if (r.bad) FAIL("message header truncated (name length %u)", name_len);
    if (name_len != strlen(method_name) || memcmp(name, method_name, name_len) != 0)
        FAIL("method name \"%.*s\", want \"%s\"", (int)(name_len > 64 ? 64 : name_len), (const char *)name,
             method_name);
    if (seq != want_seq) FAIL("message seqid %u, want %u", seq, want_seq);
    if (type == MSG_EXCEPTION) {
        char desc[400];
        describe_exception(&r, compact, desc, sizeof desc);
        FAIL("server replied EXCEPTION: %s", desc);
    }
    if (type != MSG_REPLY) FAIL("message type %u, want REPLY (2)", type);
    if (method == ECHO_BLOB) return check_blob_result(&r, compact, err, errsz);

    // is_healthy_result{0: bool success}
    bool have_success = false;
    int16_t last = 0;
    for (;;) {
        uint8_t b = rd_u8(&r);
        if (r.bad) FAIL("result struct truncated");
        if (b == 0) break;
        int16_t id;
        bool value;
        if (compact) {
            unsigned tt = b & 0x0f;
            if (b >> 4) {
                id = (int16_t)(last + (b >> 4));
            } else {
                uint32_t z = rd_varint(&r);
                id = (int16_t)((z >> 1) ^ -(int32_t)(z & 1));
            }
            last = id;
            if (r.bad) FAIL("result field header truncated");
            if (tt != C_TRUE && tt != C_FALSE) FAIL("result field %d has compact type %u, want bool", id, tt);
            value = tt == C_TRUE;
        } else {
            id = (int16_t)rd_be16(&r);
            if (b != T_BOOL) FAIL("result field %d has type %u, want bool (2)", id, b);
            uint8_t v = rd_u8(&r);
            if (r.bad) FAIL("result field truncated");
            if (v > 1) FAIL("bool byte 0x%02x", v);
            value = v == 1;
        }
        if (id != 0) FAIL("unexpected result field id %d", id);
        if (have_success) FAIL("result field 0 twice");
        if (!value) FAIL("is_healthy returned false");
        have_success = true;
    }
    if (!have_success) FAIL("result has no success field (0)");
    if (r.p != r.end) FAIL("%zu trailing bytes after the result struct", (size_t)(r.end - r.p));
    return true;
}

// Checks one frame (without its 4-byte length) in the dialect of the connection.
static bool check_frame(enum dialect d, const uint8_t *f, size_t n, uint32_t want_seq, char *err, size_t errsz) {
    if (d == FRAMED_BINARY) return check_message(f, n, false, want_seq, err, errsz);
    struct reader r = {f, f + n, false};
    uint16_t magic = rd_be16(&r);
    uint16_t flags = rd_be16(&r);
    uint32_t seq = rd_be32(&r);
    uint32_t hsize = (uint32_t)rd_be16(&r) * 4;
    (void)flags; // Apache servers send 0; a server may set flags we do not need
    if (r.bad) FAIL("THeader frame of %zu bytes is shorter than its fixed 10-byte header", n);
    if (magic != 0x0FFF) FAIL("THeader magic 0x%04x, want 0x0FFF (is the reply in the request's dialect?)", magic);
    if (seq != want_seq) FAIL("THeader seqid %u, want %u", seq, want_seq);
    if (hsize > n - 10) FAIL("THeader header size %u exceeds the frame (%zu bytes)", hsize, n - 10);
    struct reader h = {f + 10, f + 10 + hsize, false};
    uint32_t proto = rd_varint(&h);
    uint32_t ntrans = rd_varint(&h);
    if (h.bad) FAIL("THeader header truncated");
    uint32_t want_proto = d == THEADER_COMPACT ? PROTO_COMPACT : PROTO_BINARY;
    if (proto != want_proto) FAIL("THeader protocol id %u, want %u", proto, want_proto);
    if (ntrans != 0) FAIL("THeader reply has %u transforms; none were asked for", ntrans);
    const uint8_t *content_end = h.p;
    while (h.p < h.end) {
        content_end = h.p;
        uint32_t info = rd_varint(&h);
        if (h.bad) FAIL("THeader info id truncated");
        if (info == 0) break; // padding
        if (info != 1) FAIL("THeader info id %u unknown", info);
        uint32_t count = rd_varint(&h);
        for (uint32_t i = 0; i < count && !h.bad; i++) {
            uint32_t kl = rd_varint(&h);
            rd_bytes(&h, kl);
            uint32_t vl = rd_varint(&h);
            rd_bytes(&h, vl);
        }
        if (h.bad) FAIL("THeader key/value block truncated");
        content_end = h.p;
    }
    size_t pad = (size_t)(f + 10 + hsize - content_end);
    if (pad > 4) FAIL("THeader header has %zu bytes of padding, want 0-4", pad);
    for (const uint8_t *q = content_end; q < f + 10 + hsize; q++)
        if (*q) FAIL("THeader padding byte 0x%02x is not zero", *q);
    return check_message(f + 10 + hsize, n - 10 - hsize, d == THEADER_COMPACT, want_seq, err, errsz);
}

// ---------------------------------------------------------------------------------------
// Connections

struct conn {
    int fd;
    unsigned id;
    uint8_t *in;
    size_t in_len, in_cap;
    uint8_t *out;
    size_t out_off, out_len, out_cap;
    bool epollout;
    // FIFO of requests in flight: replies come back in order on one connection.
    uint32_t *seq;
    uint64_t *sent_at;
    unsigned head, count;
};

struct options {
    const char *host;
    int port;
    unsigned conns, depth;
    enum dialect dialect;
    double duration, warmup, stall;
    double rate;      // requests/s across all connections; 0: each reply sends the next at once
    int server_pid;
    const char *headers;
    uint64_t requests; // 0: run for the duration; else send exactly this many, then stop
};

static struct options opt = {
    .host = "127.0.0.1", .port = 0, .conns = 64, .depth = 1, .dialect = THEADER_COMPACT,
    .duration = 5, .warmup = 1, .stall = 5, .server_pid = 0, .headers = "baseplate",
};

static struct encoder enc;
static struct hist hist;
static uint32_t next_seq = 1;
static bool measuring, draining;
static uint64_t inflight;
static uint64_t measured_reqs, total_reqs;
static int epfd;

static uint64_t sent_reqs;

static void queue_request(struct conn *c, uint64_t t) {
    if (opt.requests && sent_reqs >= opt.requests) return;
    sent_reqs++;
    if (c->out_cap - c->out_len < MAX_REQUEST) {
        // compact the pending output to the front, then grow if still short
        if (c->out_off > 0) {
            memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
            c->out_len -= c->out_off;
            c->out_off = 0;
        }
        if (c->out_cap - c->out_len < MAX_REQUEST) {
            c->out_cap *= 2;
            c->out = realloc(c->out, c->out_cap);
            if (!c->out) die("out of memory");
        }
    }
    uint32_t seq = next_seq++;
    if (next_seq > 0x7fffffffu) next_seq = 1; // seqids are positive i32s; wrap as clients do
    c->out_len += encode_request(&enc, c->out + c->out_len, seq);
    unsigned slot = (c->head + c->count) % opt.depth;
    c->seq[slot] = seq;
    c->sent_at[slot] = t;
    c->count++;
    inflight++;
}

static void set_epollout(struct conn *c, bool on) {
    if (c->epollout == on) return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    c->epollout = on;
}

static void flush_out(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_epollout(c, true);
                return;
            }
            die("connection %u: write: %s", c->id, strerror(errno));
        }
        c->out_off += (size_t)w;
    }
    c->out_off = c->out_len = 0;
    set_epollout(c, false);
}

static void handle_readable(struct conn *c) {
    if (c->in_cap - c->in_len < 16384) {
        c->in_cap *= 2;
        c->in = realloc(c->in, c->in_cap);
        if (!c->in) die("out of memory");
    }
    ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        die("connection %u: read: %s (%u requests in flight)", c->id, strerror(errno), c->count);
    }
    if (r == 0) die("connection %u: server closed the connection with %u requests in flight", c->id, c->count);
    uint64_t t = now_ns();
    c->in_len += (size_t)r;
    size_t pos = 0;
    unsigned replies = 0;
    char err[512];
    while (c->in_len - pos >= 4) {
        uint32_t len = get_be32(c->in + pos);
        if (len > (1u << 24)) die("connection %u: frame length %u (0x%08x) is not a sane frame", c->id, len, len);
        if (c->in_len - pos - 4 < len) break;
        if (c->count == 0) die("connection %u: reply frame of %u bytes with no request in flight", c->id, len);
        uint32_t want = c->seq[c->head];
        if (!check_frame(opt.dialect, c->in + pos + 4, len, want, err, sizeof err))
            die("connection %u: bad reply to seqid %u (%s): %s", c->id, want, dialect_name(opt.dialect), err);
        if (measuring) {
            hist_add(&hist, t - c->sent_at[c->head]);
            measured_reqs++;
        }
        total_reqs++;
        c->head = (c->head + 1) % opt.depth;
        c->count--;
        inflight--;
        replies++;
        pos += 4 + len;
    }
    if (pos > 0) {
        memmove(c->in, c->in + pos, c->in_len - pos);
        c->in_len -= pos;
    }
    if (replies && !draining && opt.rate == 0) {
        uint64_t ts = now_ns();
        for (unsigned i = 0; i < replies; i++) queue_request(c, ts);
        if (!c->epollout) flush_out(c);
    }
}

static int connect_one(const struct sockaddr_in *sa) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket: %s", strerror(errno));
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0)
        die("connect %s:%d: %s", opt.host, opt.port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) die("fcntl: %s", strerror(errno));
    return fd;
}

// Sum of on-CPU time (ns) of all threads of a process, from /proc/PID/task/*/schedstat.
static uint64_t proc_cpu_ns(int pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (!d) return 0;
    uint64_t sum = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char p2[320];
        snprintf(p2, sizeof p2, "/proc/%d/task/%s/schedstat", pid, de->d_name);
        FILE *f = fopen(p2, "r");
        if (!f) continue;
        unsigned long long ns;
        if (fscanf(f, "%llu", &ns) == 1) sum += ns;
        fclose(f);
    }
    closedir(d);
    return sum;
}

// Busy and stolen CPU time of the whole machine (all CPUs, /proc/stat), in seconds: to tell
// how much of the machine other processes used while we measured.
struct host_cpu {
    double busy, steal;
};

static struct host_cpu host_cpu(void) {
    struct host_cpu h = {0, 0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return h;
    unsigned long long v[8] = {0};
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &v[6], &v[7]) == 8) {
        double tck = (double)sysconf(_SC_CLK_TCK);
        // user nice system idle iowait irq softirq steal
        h.busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / tck;
        h.steal = (double)v[7] / tck;
    }
    fclose(f);
    return h;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: loadgen --port P [--host 127.0.0.1] [--conns 64] [--depth 1]\n"
            "               [--dialect theader-compact|theader-binary|framed-binary]\n"
            "               [--duration 5] [--warmup 1] [--method is_healthy|echo_blob]\n"
            "               [--headers baseplate|user-agent|none] [--stall-timeout 5]\n"
            "               [--server-pid PID] [--first-seqid 1] [--requests N] [--sampled-every N]\n"
            "               [--rate R]\n"
            "Sends BaseplateServiceV2.is_healthy(IsHealthyRequest{probe=READINESS}) (or the\n"
            "example's echo_blob(Blob{1 KiB string, 32 i64})) pipelined,\n"
            "checks every reply, prints `reqs= secs= rps= p50_us= p99_us= p999_us= errors=`.\n"
            "--server-pid adds the server's CPU time per request (all its threads).\n"
            "--requests N: send exactly N requests (no warm-up, no time limit), then stop.\n"
            "--sampled-every N: `Sampled: 1` on every Nth request (by seqid), `0` on the others.\n"
            "--rate R: R requests/s in all (paced, at most --depth in flight per connection)\n"
            "instead of as fast as replies come (perf/soak's half load).\n"
            "host_busy_cpus / host_steal_cpus: the whole machine's busy and stolen CPUs while measuring.\n");
}

int main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"host", required_argument, 0, 'h'},     {"port", required_argument, 0, 'p'},
        {"conns", required_argument, 0, 'c'},    {"depth", required_argument, 0, 'd'},
        {"dialect", required_argument, 0, 'D'},  {"duration", required_argument, 0, 't'},
        {"warmup", required_argument, 0, 'w'},   {"method", required_argument, 0, 'm'},
        {"headers", required_argument, 0, 'H'},  {"stall-timeout", required_argument, 0, 's'},
        {"server-pid", required_argument, 0, 'P'}, {"first-seqid", required_argument, 0, 'S'},
        {"requests", required_argument, 0, 'n'}, {"sampled-every", required_argument, 0, 'e'},
        {"rate", required_argument, 0, 'r'},
        {"help", no_argument, 0, '?'},
        {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': opt.host = optarg; break;
        case 'p': opt.port = atoi(optarg); break;
        case 'c': opt.conns = (unsigned)atoi(optarg); break;
        case 'd': opt.depth = (unsigned)atoi(optarg); break;
        case 'D':
            if (!strcmp(optarg, "theader-compact")) opt.dialect = THEADER_COMPACT;
            else if (!strcmp(optarg, "theader-binary")) opt.dialect = THEADER_BINARY;
            else if (!strcmp(optarg, "framed-binary")) opt.dialect = FRAMED_BINARY;
            else { usage(stderr); return 2; }
            break;
        case 't': opt.duration = atof(optarg); break;
        case 'w': opt.warmup = atof(optarg); break;
        case 'm':
            if (!strcmp(optarg, "is_healthy")) method = IS_HEALTHY;
            else if (!strcmp(optarg, "echo_blob")) method = ECHO_BLOB;
            else { usage(stderr); return 2; }
            method_name = optarg;
            break;
        case 'e': sampled_every = (unsigned)atoi(optarg); break;
        case 'n': {
            long long v = atoll(optarg);
            if (v < 1) { usage(stderr); return 2; }
            opt.requests = (uint64_t)v;
            opt.warmup = 0;
            break;
        }
        case 'H': opt.headers = optarg; break;
        case 's': opt.stall = atof(optarg); break;
        case 'P': opt.server_pid = atoi(optarg); break;
        case 'r': opt.rate = atof(optarg); break;
        case 'S': {
            long long v = atoll(optarg);
            if (v < 1 || v > 0x7fffffff) { usage(stderr); return 2; }
            next_seq = (uint32_t)v;
            break;
        }
        default: usage(ch == '?' ? stdout : stderr); return 2;
        }
    }
    if (opt.port <= 0 || opt.port > 65535 || opt.conns == 0 || opt.depth == 0 || opt.duration <= 0 ||
        opt.warmup < 0 || opt.rate < 0) {
        usage(stderr);
        return 2;
    }

    // The header set a baseplate.py client sends with every call (clients/thrift.py):
    // User-Agent (the calling service), Trace/Parent/Span ids, Sampled, Deadline-Budget.
    static const struct kv baseplate_headers[] = {
        {"User-Agent", "perf-loadgen"},
        {"Trace", "7365216416187374591"},
        {"Parent", "1297436526129784125"},
        {"Span", "4735187342786431247"},
        {"Sampled", "0"},
        {"Deadline-Budget", "1000"},
    };
    static const struct kv ua_headers[] = {{"User-Agent", "perf-loadgen"}};
    if (opt.requests) opt.warmup = 0;
    blob_init();
    if (!strcmp(opt.headers, "baseplate")) encoder_init(&enc, opt.dialect, baseplate_headers, 6);
    else if (!strcmp(opt.headers, "user-agent")) encoder_init(&enc, opt.dialect, ua_headers, 1);
    else if (!strcmp(opt.headers, "none")) encoder_init(&enc, opt.dialect, NULL, 0);
    else { usage(stderr); return 2; }

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
    if (inet_pton(AF_INET, opt.host, &sa.sin_addr) != 1) die("--host must be an IPv4 address: %s", opt.host);

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1: %s", strerror(errno));
    struct conn *conns = calloc(opt.conns, sizeof *conns);
    if (!conns) die("out of memory");
    for (unsigned i = 0; i < opt.conns; i++) {
        struct conn *c = &conns[i];
        c->id = i;
        c->fd = connect_one(&sa);
        c->in_cap = 65536;
        c->in = malloc(c->in_cap);
        c->out_cap = (size_t)opt.depth * MAX_REQUEST + 4096;
        c->out = malloc(c->out_cap);
        c->seq = calloc(opt.depth, sizeof *c->seq);
        c->sent_at = calloc(opt.depth, sizeof *c->sent_at);
        if (!c->in || !c->out || !c->seq || !c->sent_at) die("out of memory");
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    }

    uint64_t start = now_ns();
    uint64_t warm_end = start + (uint64_t)(opt.warmup * 1e9);
    uint64_t end = opt.requests ? UINT64_MAX : warm_end + (uint64_t)(opt.duration * 1e9);
    uint64_t stall_ns = (uint64_t)(opt.stall * 1e9);
    uint64_t t0 = start, lg_cpu0 = 0, srv_cpu0 = 0;
    struct host_cpu host0 = {0, 0}, host1 = {0, 0};
    if (opt.warmup == 0) {
        measuring = true;
        lg_cpu0 = cpu_self_ns();
        if (opt.server_pid) srv_cpu0 = proc_cpu_ns(opt.server_pid);
        host0 = host_cpu();
    }
    for (unsigned i = 0; opt.rate == 0 && i < opt.conns; i++) {
        uint64_t t = now_ns();
        for (unsigned k = 0; k < opt.depth; k++) queue_request(&conns[i], t);
        flush_out(&conns[i]);
    }
    // Paced mode: requests due by now are sent on the next connections with room; a request
    // that finds none is skipped (the server is behind: the rate is then a ceiling).
    uint64_t paced_sent = 0;
    unsigned rr = 0;

    struct epoll_event evs[256];
    uint64_t last_total = 0, last_progress = start, t_end = 0, lg_cpu = 0, srv_cpu = 0;
    for (;;) {
        int n = epoll_wait(epfd, evs, 256, opt.rate > 0 ? 1 : 10);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) handle_readable(c);
            if ((evs[i].events & EPOLLOUT) && c->epollout) flush_out(c);
        }
        uint64_t t = now_ns();
        if (opt.rate > 0 && !draining) {
            uint64_t due = (uint64_t)((double)(t - start) / 1e9 * opt.rate);
            unsigned tried = 0;
            while (paced_sent < due && tried < opt.conns) {
                struct conn *c = &conns[rr];
                rr = (rr + 1) % opt.conns;
                if (c->count < opt.depth) {
                    queue_request(c, t);
                    if (!c->epollout) flush_out(c);
                    paced_sent++;
                    tried = 0;
                } else {
                    tried++;
                }
            }
            if (paced_sent < due) paced_sent = due; // no room anywhere: skip, do not burst later
        }
        if (total_reqs != last_total) {
            last_total = total_reqs;
            last_progress = t;
        } else if (t - last_progress > stall_ns) {
            unsigned inflight = 0;
            for (unsigned i = 0; i < opt.conns; i++) inflight += conns[i].count;
            die("no reply for %.1f s (%u requests in flight, %llu answered so far)", opt.stall, inflight,
                (unsigned long long)total_reqs);
        }
        if (!measuring && !draining && t >= warm_end) {
            measuring = true;
            t0 = t;
            lg_cpu0 = cpu_self_ns();
            if (opt.server_pid) srv_cpu0 = proc_cpu_ns(opt.server_pid);
            host0 = host_cpu();
            end = opt.requests ? UINT64_MAX : t0 + (uint64_t)(opt.duration * 1e9);
        }
        if (measuring && !draining && (t >= end || (opt.requests && measured_reqs >= opt.requests))) {
            // The measurement ends here. Then stop sending and take (and check) the replies
            // still in flight, so that no server sees a reset or logs a broken pipe.
            t_end = t;
            lg_cpu = cpu_self_ns() - lg_cpu0;
            if (opt.server_pid) srv_cpu = proc_cpu_ns(opt.server_pid) - srv_cpu0;
            host1 = host_cpu();
            measuring = false;
            draining = true;
        }
        if (draining && inflight == 0) break;
    }
    for (unsigned i = 0; i < opt.conns; i++) {
        close(conns[i].fd);
        free(conns[i].in);
        free(conns[i].out);
        free(conns[i].seq);
        free(conns[i].sent_at);
    }
    free(conns);
    close(epfd);

    double secs = (double)(t_end - t0) / 1e9;
    double rps = (double)measured_reqs / secs;
    double p50 = hist_quantile(&hist, 0.50) / 1e3, p90 = hist_quantile(&hist, 0.90) / 1e3;
    double p99 = hist_quantile(&hist, 0.99) / 1e3, p999 = hist_quantile(&hist, 0.999) / 1e3;
    double mx = (double)hist.max / 1e3;
    double lg_util = (double)lg_cpu / (double)(t_end - t0);
    double lg_us = measured_reqs ? (double)lg_cpu / 1e3 / (double)measured_reqs : 0;
    printf("reqs=%llu secs=%.3f rps=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f errors=0 "
           "dialect=%s conns=%u depth=%u lg_cpu_us_per_req=%.2f lg_cpu_util=%.2f",
           (unsigned long long)measured_reqs, secs, rps, p50, p90, p99, p999, mx, dialect_name(opt.dialect),
           opt.conns, opt.depth, lg_us, lg_util);
    if (opt.server_pid) {
        double srv_us = measured_reqs ? (double)srv_cpu / 1e3 / (double)measured_reqs : 0;
        printf(" srv_cpu_us_per_req=%.2f srv_cpu_util=%.2f", srv_us, (double)srv_cpu / (double)(t_end - t0));
    }
    printf(" host_busy_cpus=%.2f host_steal_cpus=%.2f\n", (host1.busy - host0.busy) / secs,
           (host1.steal - host0.steal) / secs);
    printf("loadgen: %s %u conns x %u deep: %.0f req/s over %.2f s, latency p50 %.1f us, p90 %.1f us, "
            "p99 %.1f us, p99.9 %.1f us, max %.1f us; all %llu replies checked\n",
           dialect_name(opt.dialect), opt.conns, opt.depth, rps, secs, p50, p90, p99, p999, mx,
           (unsigned long long)total_reqs);
    return 0;
}
