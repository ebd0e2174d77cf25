/* The THeader zlib transform: one RFC 1950 stream per message. */
#include "bpio_frame.h"

#include <zlib.h>

int bpio_zlib_inflate(const uint8_t *in, size_t n, size_t limit, bpio_buf *out) {
    z_stream z = {0};
    if (inflateInit(&z) != Z_OK) {
        return -1;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    size_t start = out->len;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (out->len - start >= limit || bpio_buf_reserve(out, n * 2 + 256) != 0) {
            rc = Z_MEM_ERROR;
            break;
        }
        size_t room = out->cap - out->len;
        if (room > limit - (out->len - start)) {
            room = limit - (out->len - start);
        }
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)room;
        rc = inflate(&z, Z_NO_FLUSH);
        out->len += room - z.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END) {
            break;
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            rc = Z_DATA_ERROR; /* input ended before the stream did */
            break;
        }
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END || z.avail_in != 0) {
        out->len = start;
        return -1;
    }
    return 0;
}

int bpio_zlib_deflate(const uint8_t *in, size_t n, bpio_buf *out) {
    z_stream z = {0};
    if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK) {
        return -1;
    }
    size_t bound = deflateBound(&z, (uLong)n);
    if (bpio_buf_reserve(out, bound) != 0) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out->data + out->len;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    if (rc == Z_STREAM_END) {
        out->len += bound - z.avail_out;
    }
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}
