#ifndef BPIO_CLIENT_H
#define BPIO_CLIENT_H

/* Outbound connections on a loop: the client side of Thrift, framed in any dialect. A client
 * connection is a loop's connection like any other (same buffers, same once-per-iteration
 * writes); its frames go to the client callbacks instead of the server's. Every call must be
 * made on the owning loop's thread. */

#include "bpio_server.h"

typedef struct bpio_conn bpio_client;

typedef struct bpio_client_callbacks {
    /* One reply frame; its bytes are borrowed until the callback returns. */
    void (*on_frame)(bpio_client *client, void *ctx, const bpio_frame *frame);
    /* The connection is gone (peer closed, error, or bpio_client_close). `reason` is a static
     * or short-lived text. No callback follows; the client pointer is invalid afterwards. */
    void (*on_close)(bpio_client *client, void *ctx, const char *reason);
} bpio_client_callbacks;

/* Connects (without blocking: the connect completes on the loop) to host:port, or to a UNIX
 * socket when unix_path is set. `dialect`: BPIO_DIALECT_HEADER, _FRAMED_* or _UNFRAMED_*;
 * `protocol`: the protocol id THeader frames announce. Messages sent before the connection is
 * up are queued. Host names are resolved with getaddrinfo, which may block for DNS; numeric
 * addresses and /etc/hosts names do not. Returns NULL with a message in err. */
bpio_client *bpio_client_open(bpio_loop *loop, const char *host, int port, const char *unix_path,
                              int dialect, int protocol, const bpio_client_callbacks *callbacks,
                              void *ctx, char *err, size_t err_len);

/* Queues one message, framed in the client's dialect with these THeader headers (ignored by
 * other dialects) and `seqid` in the THeader frame. Written before the loop next sleeps.
 * Returns 0, or -1 when the connection is closed or memory is short. */
int bpio_client_send(bpio_client *client, const uint8_t *message, size_t len, int32_t seqid,
                     const bpio_header *headers, uint32_t header_count);

/* Closes the connection; on_close runs (with reason "closed") before this returns. */
void bpio_client_close(bpio_client *client);

#endif
