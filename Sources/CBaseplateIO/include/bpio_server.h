#ifndef BPIO_SERVER_H
#define BPIO_SERVER_H

/* The server: `io_threads` libev loops, each on its own thread, accepting connections and
 * splitting their bytes into Thrift frames. The application sees one callback per frame and
 * answers through bpio_conn_reply; it never touches a socket.
 *
 * Threading contract: every callback for a loop runs on that loop's thread, and every
 * bpio_conn_* / bpio_loop_* call except bpio_loop_wake must be made on the thread of the loop
 * that owns the connection. */

#include <stddef.h>
#include <stdint.h>
#include "bpio_frame.h"

typedef struct bpio_server bpio_server;
typedef struct bpio_loop bpio_loop;
typedef struct bpio_conn bpio_conn;

enum { BPIO_LOG_DEBUG = 0, BPIO_LOG_INFO = 1, BPIO_LOG_WARNING = 2, BPIO_LOG_ERROR = 3 };

typedef struct bpio_callbacks {
    /* A complete frame from a connection with no request in flight. The frame's bytes are
     * borrowed until the callback returns. The connection is busy (no further frames are
     * delivered) until bpio_conn_reply, bpio_conn_done or bpio_conn_close is called for it,
     * during the callback or later on the same loop thread: that is what keeps replies in
     * request order. */
    void (*on_frame)(bpio_loop *loop, void *loop_ctx, bpio_conn *conn, const bpio_frame *frame);
    /* Runs queued application work; called before the loop sleeps and after bpio_loop_wake.
     * Returns nonzero when work remains (the loop then polls without sleeping). */
    int (*on_drain)(bpio_loop *loop, void *loop_ctx);
    /* Optional: called once per iteration after the replies are written, before the loop
     * sleeps (for the application's own batched output, which should not delay replies). */
    void (*on_written)(bpio_loop *loop, void *loop_ctx);
    /* One log line (no newline); may be called from any loop thread or the caller's thread.
     * `log_ctx` is passed back as given: each server logs to its own sink. */
    void (*on_log)(void *log_ctx, int level, const char *message);
    void *log_ctx;
} bpio_callbacks;

typedef struct bpio_server_config {
    const char *host;       /* TCP host or address literal (NULL: all addresses) */
    int port;               /* TCP port (0: any free port; bpio_server_port tells which; -1
                               with no unix_path and no listen_fd: no listener, the loops
                               serve outbound connections only) */
    const char *unix_path;  /* listen on this UNIX socket path instead of TCP */
    int listen_fd;          /* >= 0: serve this already-listening socket (Einhorn, systemd) */
    unsigned io_threads;    /* loops; 0: the number of CPUs in the process's affinity mask */
    size_t max_frame_size;  /* larger frames close the connection (0: 16 MiB) */
    size_t max_pending_output; /* stop reading a connection with more unsent bytes (0: 4 MiB) */
    int backlog;            /* listen backlog (0: 1024) */
    /* Limits (limits.c); each logs one line when it starts acting and one when it stops. */
    unsigned max_concurrency;  /* open connections at most; at the limit accepting pauses and
                                  further connections wait in the listen backlog (0: no limit) */
    size_t max_buffered_bytes; /* input + output buffered across all connections; above it
                                  accepting pauses and the connections holding the most are
                                  closed (0: 256 MiB; SIZE_MAX: no limit) */
    unsigned read_timeout_ms;  /* a connection with part of a request buffered that receives
                                  no bytes for this long is closed (0: never) */
} bpio_server_config;

/* Creates the loops and binds the listeners; nothing runs until bpio_server_start.
 * Returns NULL with a message in err on failure. */
bpio_server *bpio_server_new(const bpio_server_config *config, const bpio_callbacks *callbacks,
                             char *err, size_t err_len);

unsigned bpio_server_loop_count(const bpio_server *server);
bpio_loop *bpio_server_loop(bpio_server *server, unsigned index);
/* The TCP port bound (useful with port 0), or 0 for UNIX sockets. */
int bpio_server_port(const bpio_server *server);

/* Starts one thread per loop. Returns 0, or -1 with a message in err. */
int bpio_server_start(bpio_server *server, char *err, size_t err_len);
/* Closes the listeners and waits (up to 1 s) until they are closed (thread-safe).
 * Connections already open keep being served. */
void bpio_server_stop_accepting(bpio_server *server);
/* Asks every loop to finish: idle connections close at once, busy ones after their reply is
 * written, and the loops exit once no connection is left or `timeout_ms` passes. Thread-safe. */
void bpio_server_shutdown(bpio_server *server, unsigned timeout_ms);
/* Waits for the loop threads to exit. */
void bpio_server_join(bpio_server *server);
/* Frees everything; call after join (or if never started). */
void bpio_server_free(bpio_server *server);

/* The application's per-loop context, set before start. */
void bpio_loop_set_ctx(bpio_loop *loop, void *ctx);
void *bpio_loop_ctx(const bpio_loop *loop);
unsigned bpio_loop_index(const bpio_loop *loop);
/* True on the loop's own thread. */
int bpio_loop_is_current(const bpio_loop *loop);
/* The loop whose thread this is, or NULL on any other thread. */
bpio_loop *bpio_loop_current(void);
/* Wakes the loop so that on_drain runs soon. The one call that is safe from any thread. */
void bpio_loop_wake(bpio_loop *loop);
/* Open connections on this loop. */
unsigned bpio_loop_connection_count(const bpio_loop *loop);
/* Whether the loop has begun shutting down (it exits once its connections are closed). */
int bpio_loop_is_shutting_down(const bpio_loop *loop);

/* Sends one reply message in the dialect of the request being answered (framing, THeader
 * seqid/flags/protocol echo, zlib) and lets the next frame through. The bytes are copied.
 * Returns 0, or -1 if the connection is gone (the reply is dropped; the connection is freed). */
int bpio_conn_reply(bpio_conn *conn, const uint8_t *message, size_t len);
/* Finishes the request without a reply (oneway) and lets the next frame through. */
void bpio_conn_done(bpio_conn *conn);
/* Finishes the request and closes the connection once pending output is written. */
void bpio_conn_close(bpio_conn *conn);
/* A process-unique connection number, for logs. */
uint64_t bpio_conn_id(const bpio_conn *conn);

#endif
