/* THeader frames: parsing the header section in place, and writing reply frames.
 * Layout (big-endian): u32 length | u16 0x0FFF | u16 flags | u32 seqid | u16 header words |
 * header (protocol id, transforms, info blocks, zero padding) | payload. */
#include "bpio_frame.h"

#include <string.h>

#define INFO_PADDING 0
#define INFO_KEYVALUE 1
#define FIXED_LEN 10 /* magic, flags, seqid, header words */

typedef struct cursor {
    const uint8_t *p;
    const uint8_t *end;
} cursor;

/* Reads a base-128 varint of at most 32 bits (5 bytes), as THeader uses (no zigzag). */
static int read_varint32(cursor *c, uint32_t *out) {
    uint32_t v = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
        if (c->p >= c->end) {
            return -1;
        }
        uint8_t b = *c->p++;
        v |= (uint32_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int read_string(cursor *c, const uint8_t **s, uint32_t *len) {
    if (read_varint32(c, len) != 0 || *len > (size_t)(c->end - c->p)) {
        return -1;
    }
    *s = c->p;
    c->p += *len;
    return 0;
}

bpio_status bpio_theader_parse(const uint8_t *body, size_t len, bpio_header *headers,
                               bpio_frame *out, const char **err) {
    if (len < FIXED_LEN) {
        *err = "THeader frame shorter than its fixed header";
        return BPIO_ERROR;
    }
    out->flags = (uint16_t)(body[2] << 8 | body[3]);
    out->seqid = (int32_t)((uint32_t)body[4] << 24 | (uint32_t)body[5] << 16 |
                           (uint32_t)body[6] << 8 | body[7]);
    size_t words = (size_t)(body[8] << 8 | body[9]);
    if (words >= BPIO_THEADER_MAX_HEADER_WORDS) {
        *err = "THeader header size too large";
        return BPIO_ERROR;
    }
    size_t header_len = words * 4;
    if (header_len > len - FIXED_LEN) {
        *err = "THeader header size beyond the frame";
        return BPIO_ERROR;
    }
    cursor c = {body + FIXED_LEN, body + FIXED_LEN + header_len};
    uint32_t protocol, transforms;
    if (read_varint32(&c, &protocol) != 0 || read_varint32(&c, &transforms) != 0) {
        *err = "truncated THeader header";
        return BPIO_ERROR;
    }
    if (protocol != BPIO_PROTOCOL_BINARY && protocol != BPIO_PROTOCOL_COMPACT) {
        *err = "unknown THeader protocol id";
        return BPIO_ERROR;
    }
    out->protocol = (uint8_t)protocol;
    out->zlib = 0;
    for (uint32_t i = 0; i < transforms; i++) {
        uint32_t id;
        if (read_varint32(&c, &id) != 0) {
            *err = "truncated THeader transforms";
            return BPIO_ERROR;
        }
        if (id != BPIO_TRANSFORM_ZLIB) {
            *err = "unknown THeader transform";
            return BPIO_ERROR;
        }
        out->zlib = 1;
    }
    uint32_t count = 0, blocks = 0;
    out->header_block = NULL;
    out->header_block_len = 0;
    while (c.p < c.end) {
        uint32_t info;
        if (read_varint32(&c, &info) != 0) {
            *err = "truncated THeader info block";
            return BPIO_ERROR;
        }
        if (info != INFO_KEYVALUE) {
            break; /* padding (0) or an id this version does not know: the rest is skipped */
        }
        uint32_t n;
        if (read_varint32(&c, &n) != 0) {
            *err = "truncated THeader header count";
            return BPIO_ERROR;
        }
        const uint8_t *block = c.p;
        for (uint32_t i = 0; i < n; i++) {
            bpio_header h;
            if (read_string(&c, &h.key, &h.key_len) != 0 ||
                read_string(&c, &h.value, &h.value_len) != 0) {
                *err = "THeader header beyond the header section";
                return BPIO_ERROR;
            }
            if (count == BPIO_MAX_HEADERS) {
                *err = "too many THeader headers";
                return BPIO_ERROR;
            }
            headers[count++] = h;
        }
        /* The one block's entries, so that a copy of the headers is one memcpy; with several
         * blocks the caller copies header by header. */
        if (n > 0 && blocks++ == 0) {
            out->header_block = block;
            out->header_block_len = (size_t)(c.p - block);
        } else if (n > 0) {
            out->header_block = NULL;
            out->header_block_len = 0;
        }
    }
    out->headers = headers;
    out->header_count = count;
    out->payload = body + FIXED_LEN + header_len;
    out->payload_len = len - FIXED_LEN - header_len;
    out->dialect = BPIO_DIALECT_HEADER;
    return BPIO_OK;
}

static size_t varint_len(uint32_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint32(uint8_t *p, uint32_t v) {
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static uint8_t *put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

static uint8_t *put_be16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

/* Header section size before padding. */
static size_t header_content_len(int zlib, const bpio_header *headers, uint32_t count) {
    size_t n = 1 /* protocol id (0 or 2) */ + 1 /* transform count */ + (zlib ? 1 : 0);
    if (count > 0) {
        n += 1 /* KEYVALUE */ + varint_len(count);
        for (uint32_t i = 0; i < count; i++) {
            n += varint_len(headers[i].key_len) + headers[i].key_len;
            n += varint_len(headers[i].value_len) + headers[i].value_len;
        }
    }
    return n;
}

/* C++ pads 1-4 bytes (an aligned header still gets 4 zero bytes); we match its bytes. */
static size_t padded(size_t n) {
    return n + (4 - n % 4);
}

size_t bpio_theader_reply_prefix_len(int zlib) {
    return 4 + FIXED_LEN + padded(header_content_len(zlib, NULL, 0));
}

int bpio_theader_write(bpio_buf *out, uint16_t flags, int32_t seqid, int protocol, int zlib,
                       const bpio_header *headers, uint32_t count, const uint8_t *payload,
                       size_t payload_len) {
    size_t header_len = padded(header_content_len(zlib, headers, count));
    if (header_len / 4 >= BPIO_THEADER_MAX_HEADER_WORDS) {
        return -1;
    }
    size_t frame_len = FIXED_LEN + header_len + payload_len;
    if (frame_len > BPIO_THEADER_MAX_FRAME) {
        return -1;
    }
    if (bpio_buf_reserve(out, 4 + frame_len) != 0) {
        return -1;
    }
    uint8_t *p = out->data + out->len;
    p = put_be32(p, (uint32_t)frame_len);
    p = put_be16(p, 0x0fff);
    p = put_be16(p, flags);
    p = put_be32(p, (uint32_t)seqid);
    p = put_be16(p, (uint16_t)(header_len / 4));
    uint8_t *header_start = p;
    p = put_varint32(p, (uint32_t)protocol);
    p = put_varint32(p, zlib ? 1 : 0);
    if (zlib) {
        p = put_varint32(p, BPIO_TRANSFORM_ZLIB);
    }
    if (count > 0) {
        p = put_varint32(p, INFO_KEYVALUE);
        p = put_varint32(p, count);
        for (uint32_t i = 0; i < count; i++) {
            p = put_varint32(p, headers[i].key_len);
            memcpy(p, headers[i].key, headers[i].key_len);
            p += headers[i].key_len;
            p = put_varint32(p, headers[i].value_len);
            memcpy(p, headers[i].value, headers[i].value_len);
            p += headers[i].value_len;
        }
    }
    memset(p, 0, (size_t)(header_start + header_len - p));
    p = header_start + header_len;
    if (payload_len > 0) {
        memcpy(p, payload, payload_len);
    }
    out->len += 4 + frame_len;
    return 0;
}
