#ifndef BPIO_FRAME_H
#define BPIO_FRAME_H

/* Thrift framing: which dialect a client speaks, where one message ends, THeader parsing and
 * writing. Pure functions over byte ranges: no I/O, no allocation (the zlib helpers aside). */

#include <stddef.h>
#include <stdint.h>
#include "bpio_buf.h"

/* Client types, numbered as Apache C++'s THeaderTransport CLIENT_TYPE. */
typedef enum bpio_dialect {
    BPIO_DIALECT_HEADER = 0,
    BPIO_DIALECT_FRAMED_BINARY = 1,
    BPIO_DIALECT_UNFRAMED_BINARY = 2,
    BPIO_DIALECT_FRAMED_COMPACT = 3,
    BPIO_DIALECT_UNFRAMED_COMPACT = 4,
    BPIO_DIALECT_UNKNOWN = 5
} bpio_dialect;

/* Protocol ids as THeader's (T_BINARY_PROTOCOL = 0, T_COMPACT_PROTOCOL = 2). */
enum { BPIO_PROTOCOL_BINARY = 0, BPIO_PROTOCOL_COMPACT = 2 };

/* THeader transform ids. */
enum { BPIO_TRANSFORM_ZLIB = 1 };

/* Result of the parsing functions. */
typedef enum bpio_status {
    BPIO_OK = 0,
    BPIO_NEED_MORE = 1, /* the bytes so far are a valid prefix; read more */
    BPIO_ERROR = -1     /* not Thrift, or beyond a limit: close the connection */
} bpio_status;

/* The largest frame the THeader format can describe (C++ MAX_FRAME_SIZE). */
#define BPIO_THEADER_MAX_FRAME 0x3FFFFFFFu
/* Header section limit in 4-byte words, as C++ checks (< 16384). */
#define BPIO_THEADER_MAX_HEADER_WORDS 16384u
/* Most key/value headers one frame may carry; more is a hostile client. */
#define BPIO_MAX_HEADERS 64
/* Deepest nesting of structs/containers the unframed skipper follows. */
#define BPIO_MAX_DEPTH 64

/* One THeader key/value header, pointing into the frame. */
typedef struct bpio_header {
    const uint8_t *key;
    const uint8_t *value;
    uint32_t key_len;
    uint32_t value_len;
} bpio_header;

/* One complete frame, as handed to the application. All pointers borrow from the connection's
 * buffers and are valid only during the callback that receives the frame. */
typedef struct bpio_frame {
    const uint8_t *payload; /* one Thrift message, untransformed */
    size_t payload_len;
    const bpio_header *headers; /* THeader key/value headers, in wire order */
    uint32_t header_count;
    /* The same headers as on the wire (varint key length, key, varint value length, value,
     * ...) when they came in one block; NULL when there are none or several blocks. */
    const uint8_t *header_block;
    size_t header_block_len;
    int32_t seqid;       /* THeader sequence number (0 for other dialects) */
    uint16_t flags;      /* THeader flags (0 for other dialects) */
    uint8_t dialect;     /* bpio_dialect */
    uint8_t protocol;    /* BPIO_PROTOCOL_BINARY or BPIO_PROTOCOL_COMPACT */
    uint8_t zlib;        /* 1 when the request used the zlib transform (the reply will too) */
} bpio_frame;

/* Reads the dialect from the first bytes of a connection (8 are enough). Returns BPIO_OK with
 * *dialect set, BPIO_NEED_MORE, or BPIO_ERROR for bytes that are no Thrift dialect. */
bpio_status bpio_detect_dialect(const uint8_t *p, size_t n, bpio_dialect *dialect);

/* One open struct or container of a message being walked. */
typedef struct bpio_walk_level {
    uint64_t remaining; /* containers: items left (a map counts keys and values) */
    uint8_t is_struct;
    uint8_t is_map;
    uint8_t key_type;   /* element type, or a map's key type */
    uint8_t value_type;
} bpio_walk_level;

/* Where a walk through an unframed message stopped, so that it resumes there when more bytes
 * arrive instead of starting over (which would cost O(n^2) for a message read in pieces). */
typedef struct bpio_walk {
    size_t pos;      /* bytes from the message start walked so far, at an item boundary */
    int header_done; /* the message header has been walked */
    int depth;       /* open levels in stack */
    bpio_walk_level stack[BPIO_MAX_DEPTH];
} bpio_walk;

void bpio_walk_reset(bpio_walk *walk);

/* Finds the end of one message of an unframed dialect by walking its structure, resuming from
 * `walk` (reset it for a new message; p must point at the message start on every call).
 * protocol: BPIO_PROTOCOL_BINARY or _COMPACT. On BPIO_OK, *msg_len is its length in bytes.
 * Gives BPIO_ERROR for malformed input, nesting beyond BPIO_MAX_DEPTH, or `limit` exceeded. */
bpio_status bpio_message_walk(bpio_walk *walk, int protocol, const uint8_t *p, size_t n,
                              size_t limit, size_t *msg_len);

/* bpio_message_walk from the start, with a fresh state. */
bpio_status bpio_message_length(int protocol, const uint8_t *p, size_t n, size_t limit,
                                size_t *msg_len);

/* Parses the THeader part of a frame body (the bytes after the 4-byte length) in place.
 * Fills everything in *out except payload when zlib is set: then payload/payload_len point at
 * the compressed bytes and the caller inflates them. `headers` must hold BPIO_MAX_HEADERS.
 * Returns BPIO_OK or BPIO_ERROR with a reason in err (static text). */
bpio_status bpio_theader_parse(const uint8_t *body, size_t len, bpio_header *headers,
                               bpio_frame *out, const char **err);

/* Size of the THeader prefix (length word included) for a reply with no key/value headers. */
size_t bpio_theader_reply_prefix_len(int zlib);

/* Writes a THeader frame around `payload` (already transformed) into `out`, appending.
 * headers may be NULL when count is 0. Pads the header 1-4 bytes, as C++ does. Returns 0, or -1
 * when out of memory or too large. */
int bpio_theader_write(bpio_buf *out, uint16_t flags, int32_t seqid, int protocol, int zlib,
                       const bpio_header *headers, uint32_t count, const uint8_t *payload,
                       size_t payload_len);

/* zlib (RFC 1950) helpers for the THeader transform. Append to `out`. Return 0, or -1 on
 * corrupt input, output beyond `limit` (inflate) or out of memory. */
int bpio_zlib_inflate(const uint8_t *in, size_t n, size_t limit, bpio_buf *out);
int bpio_zlib_deflate(const uint8_t *in, size_t n, bpio_buf *out);

#endif
