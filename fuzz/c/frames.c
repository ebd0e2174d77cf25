/* Fuzz target for the C framing code: the input is a byte stream as a client would send it,
 * split into messages the way conn.c's deliver() does (dialect detection, frame length, THeader
 * parsing, zlib, the unframed-message walk). Besides "no crash", it checks properties:
 *  - an unframed walk fed in pieces (resuming) ends where the one-shot walk ends;
 *  - a parsed THeader frame written back with bpio_theader_write parses to the same frame;
 *  - an inflated payload deflates and inflates back to itself. */
#include <stdlib.h>
#include <string.h>

#include "bpio_frame.h"

#define MAX_FRAME (64u * 1024) /* small, so length limits are reached by small inputs */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The same walk, resumed after each of a few piece sizes taken from the input itself. */
static void walk_in_pieces(int protocol, const uint8_t *p, size_t n, bpio_status want,
                           size_t want_len) {
    bpio_walk walk;
    bpio_walk_reset(&walk);
    size_t have = 0, step = 1 + (n > 0 ? p[n - 1] % 7 : 0);
    for (;;) {
        have = have + step > n ? n : have + step;
        size_t len = 0;
        bpio_status st = bpio_message_walk(&walk, protocol, p, have, MAX_FRAME, &len);
        if (st != BPIO_NEED_MORE || have == n) {
            /* Ran out of input while the whole-input walk wanted more: same answer. */
            if (st != want || (st == BPIO_OK && len != want_len)) {
                abort();
            }
            return;
        }
        if (walk.pos > have) {
            abort();
        }
    }
}

/* Walks one unframed message; returns its length, or 0 when the stream ends or is rejected. */
static size_t unframed(int protocol, const uint8_t *p, size_t n) {
    size_t len = 0;
    bpio_status st = bpio_message_length(protocol, p, n, MAX_FRAME, &len);
    walk_in_pieces(protocol, p, n, st, len);
    if (st != BPIO_OK) {
        return 0;
    }
    if (len == 0 || len > n) {
        abort();
    }
    return len;
}

static void same_frame(const bpio_frame *a, const bpio_frame *b) {
    if (a->flags != b->flags || a->seqid != b->seqid || a->protocol != b->protocol ||
        a->zlib != b->zlib || a->header_count != b->header_count ||
        a->payload_len != b->payload_len ||
        (a->payload_len > 0 && memcmp(a->payload, b->payload, a->payload_len) != 0)) {
        abort();
    }
    for (uint32_t i = 0; i < a->header_count; i++) {
        const bpio_header *x = &a->headers[i], *y = &b->headers[i];
        if (x->key_len != y->key_len || x->value_len != y->value_len ||
            memcmp(x->key, y->key, x->key_len) != 0 ||
            memcmp(x->value, y->value, x->value_len) != 0) {
            abort();
        }
    }
}

static void theader(const uint8_t *body, size_t len) {
    bpio_header headers[BPIO_MAX_HEADERS];
    bpio_frame frame = {0};
    const char *err = NULL;
    if (bpio_theader_parse(body, len, headers, &frame, &err) != BPIO_OK) {
        if (err == NULL) {
            abort();
        }
        return;
    }
    if (frame.header_count > BPIO_MAX_HEADERS || frame.payload < body ||
        frame.payload + frame.payload_len != body + len) {
        abort();
    }
    for (uint32_t i = 0; i < frame.header_count; i++) {
        const bpio_header *h = &headers[i];
        if (h->key < body || h->key + h->key_len > frame.payload || h->value < body ||
            h->value + h->value_len > frame.payload) {
            abort();
        }
    }

    bpio_buf out = {0};
    if (bpio_theader_write(&out, frame.flags, frame.seqid, frame.protocol, frame.zlib,
                           frame.headers, frame.header_count, frame.payload,
                           frame.payload_len) == 0) {
        bpio_header again_headers[BPIO_MAX_HEADERS];
        bpio_frame again = {0};
        if (out.len < 4 || be32(out.data) != out.len - 4 ||
            bpio_theader_parse(out.data + 4, out.len - 4, again_headers, &again, &err) != BPIO_OK) {
            abort();
        }
        same_frame(&frame, &again);
    }
    bpio_buf_free(&out);

    if (frame.zlib) {
        bpio_buf inflated = {0}, deflated = {0}, back = {0};
        if (bpio_zlib_inflate(frame.payload, frame.payload_len, MAX_FRAME, &inflated) == 0) {
            if (inflated.len > MAX_FRAME ||
                bpio_zlib_deflate(inflated.data, inflated.len, &deflated) != 0 ||
                bpio_zlib_inflate(deflated.data, deflated.len, MAX_FRAME, &back) != 0 ||
                back.len != inflated.len ||
                (back.len > 0 && memcmp(back.data, inflated.data, back.len) != 0)) {
                abort();
            }
            if (inflated.len > 0) {
                unframed(frame.protocol, inflated.data, inflated.len);
            }
        }
        bpio_buf_free(&inflated);
        bpio_buf_free(&deflated);
        bpio_buf_free(&back);
    } else if (frame.payload_len > 0) {
        unframed(frame.protocol, frame.payload, frame.payload_len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t off = 0;
    while (off < size) {
        const uint8_t *p = data + off;
        size_t avail = size - off;
        bpio_dialect dialect = BPIO_DIALECT_UNKNOWN;
        bpio_status st = bpio_detect_dialect(p, avail, &dialect);
        if (st != BPIO_OK) {
            if (st == BPIO_NEED_MORE && avail >= 8) {
                abort(); /* 8 bytes always decide */
            }
            return 0;
        }
        size_t used;
        if (dialect == BPIO_DIALECT_UNFRAMED_BINARY || dialect == BPIO_DIALECT_UNFRAMED_COMPACT) {
            used = unframed(dialect == BPIO_DIALECT_UNFRAMED_BINARY ? BPIO_PROTOCOL_BINARY
                                                                    : BPIO_PROTOCOL_COMPACT,
                            p, avail);
            if (used == 0) {
                return 0;
            }
        } else {
            size_t body_len = be32(p);
            if (body_len > MAX_FRAME || avail - 4 < body_len) {
                return 0;
            }
            if (dialect == BPIO_DIALECT_HEADER) {
                theader(p + 4, body_len);
            } else if (body_len > 0) {
                unframed(dialect == BPIO_DIALECT_FRAMED_BINARY ? BPIO_PROTOCOL_BINARY
                                                               : BPIO_PROTOCOL_COMPACT,
                         p + 4, body_len);
            }
            used = 4 + body_len;
        }
        off += used;
    }
    return 0;
}
