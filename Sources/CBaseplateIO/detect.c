/* Dialect detection from a connection's first bytes, in the order Apache C++'s
 * THeaderTransport::readFrame tries them. */
#include "bpio_frame.h"

#define BINARY_VERSION_MASK 0xffff0000u
#define BINARY_VERSION_1 0x80010000u
#define COMPACT_PROTOCOL_ID 0x82u
#define COMPACT_VERSION 1u
#define COMPACT_VERSION_MASK 0x1fu
#define HEADER_MAGIC 0x0fff0000u
#define HEADER_MASK 0xffff0000u

static uint32_t load_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int is_compact_start(const uint8_t *p) {
    return p[0] == COMPACT_PROTOCOL_ID && (p[1] & COMPACT_VERSION_MASK) == COMPACT_VERSION;
}

bpio_status bpio_detect_dialect(const uint8_t *p, size_t n, bpio_dialect *dialect) {
    if (n < 4) {
        return BPIO_NEED_MORE;
    }
    uint32_t first = load_be32(p);
    if ((first & BINARY_VERSION_MASK) == BINARY_VERSION_1) {
        *dialect = BPIO_DIALECT_UNFRAMED_BINARY;
        return BPIO_OK;
    }
    if (is_compact_start(p)) {
        *dialect = BPIO_DIALECT_UNFRAMED_COMPACT;
        return BPIO_OK;
    }
    /* Otherwise the first word is a frame length and the second tells the framing. */
    if (first > BPIO_THEADER_MAX_FRAME || first < 4) {
        return BPIO_ERROR;
    }
    if (n < 8) {
        return BPIO_NEED_MORE;
    }
    uint32_t second = load_be32(p + 4);
    if ((second & BINARY_VERSION_MASK) == BINARY_VERSION_1) {
        *dialect = BPIO_DIALECT_FRAMED_BINARY;
    } else if (is_compact_start(p + 4)) {
        *dialect = BPIO_DIALECT_FRAMED_COMPACT;
    } else if ((second & HEADER_MASK) == HEADER_MAGIC) {
        *dialect = BPIO_DIALECT_HEADER;
    } else {
        return BPIO_ERROR;
    }
    return BPIO_OK;
}
