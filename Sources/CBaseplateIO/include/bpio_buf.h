#ifndef BPIO_BUF_H
#define BPIO_BUF_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer. Owned by whoever holds it; never shared across threads. */
typedef struct bpio_buf {
    uint8_t *data; /* NULL until the first reserve */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated */
} bpio_buf;

/* Makes room for `extra` more bytes after `len`. Returns 0, or -1 when out of memory
 * (the buffer is unchanged then). */
int bpio_buf_reserve(bpio_buf *b, size_t extra);

/* Appends `n` bytes. Returns 0 or -1 (out of memory). */
int bpio_buf_append(bpio_buf *b, const void *p, size_t n);

/* Drops the first `n` bytes, moving the rest to the front. */
void bpio_buf_consume(bpio_buf *b, size_t n);

/* Frees the storage; the buffer is empty and reusable afterwards. */
void bpio_buf_free(bpio_buf *b);

#endif
