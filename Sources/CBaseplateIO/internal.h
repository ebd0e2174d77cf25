#ifndef BPIO_INTERNAL_H
#define BPIO_INTERNAL_H

/* Structures shared by the server's C files; not part of the public header. */

#include <ev.h>
#include <pthread.h>
#include <stdatomic.h>

#include "bpio_client.h"

#define BPIO_READ_CHUNK (64 * 1024)    /* one read(2) at most; the loop's scratch size */
#define BPIO_READ_AHEAD (64 * 1024)    /* input buffered behind a busy request before pausing */
#define BPIO_KEEP_OUTPUT (16 * 1024)   /* output buffers above this are freed once flushed */
#define BPIO_ACCEPT_BATCH 64           /* accept(2) calls per readiness event */

/* A limit acting: logged when it starts, and when it has not acted for a second. */
typedef struct bpio_episode {
    atomic_int active;
    atomic_llong last_ms;        /* monotonic ms of the latest time the limit acted */
    atomic_ullong events;        /* times it acted during this episode */
} bpio_episode;

struct bpio_conn {
    bpio_loop *loop;
    int fd;
    uint64_t id;
    ev_io read_w;
    ev_io write_w;
    bpio_buf in;       /* bytes read but not yet delivered: a partial frame, or frames queued
                          behind the request in flight; empty (unallocated) most of the time */
    bpio_buf out;      /* replies not yet written */
    size_t out_sent;   /* bytes of `out` already written */
    bpio_walk *walk;   /* an unframed message read in pieces: where its walk stopped */
    size_t accounted;  /* in.cap + out.cap as last added to the server's `buffered` */
    ev_tstamp last_read; /* when bytes last arrived (read_timeout) */
    /* Outbound (client) connections only: */
    int client;              /* an outbound connection (not accepted by the server) */
    bpio_client_callbacks client_cb; /* a copy: the caller's struct need not outlive the call */
    void *client_ctx;
    uint8_t connecting;      /* non-blocking connect in progress */
    /* The request in flight, remembered so the reply is framed as it came. */
    int32_t req_seqid;
    uint16_t req_flags;
    uint8_t req_dialect;
    uint8_t req_protocol;
    uint8_t req_zlib;
    uint8_t busy;            /* a frame was delivered and is not answered yet */
    uint8_t closed;          /* fd closed; the struct waits for the graveyard */
    uint8_t close_after_flush;
    uint8_t reading;         /* read watcher started */
    uint8_t in_ready, in_dirty, in_grave;
    bpio_conn *next_ready;   /* finished a request; may have frames waiting in `in` */
    bpio_conn *next_dirty;   /* has output to write before the loop sleeps */
    bpio_conn *next_grave;   /* closed; freed at the end of the loop iteration */
    bpio_conn *prev, *next;  /* every open connection of the loop */
};

struct bpio_loop {
    bpio_server *server;
    unsigned index;
    struct ev_loop *ev;
    pthread_t thread;
    int thread_started;
    void *ctx;
    int listen_fd;           /* this loop's listener (or the shared one); -1 when closed */
    ev_io accept_w;
    ev_timer accept_retry_w; /* re-arms accepting after EMFILE */
    ev_prepare prepare_w;
    ev_idle idle_w;
    ev_async async_w;
    ev_timer shutdown_w;
    ev_timer limits_w;       /* read_timeout sweep and the end of limit episodes */
    int accepting;
    int accept_paused;       /* a limit stopped accept_w (limits.c resumes it) */
    int shutting_down;
    unsigned conn_count;
    bpio_conn *conns;
    bpio_conn *ready;
    bpio_conn *dirty;        /* in the order they got output: replies go out as they were read */
    bpio_conn **dirty_tail;  /* &last->next_dirty, or &dirty when empty */
    bpio_conn *grave;
    bpio_buf scratch;        /* read buffer for connections with nothing buffered */
    bpio_buf inflated;       /* zlib request payloads */
    bpio_buf deflated;       /* zlib reply payloads */
    bpio_header headers[BPIO_MAX_HEADERS];
};

struct bpio_server {
    bpio_server_config config;
    bpio_callbacks callbacks;
    unsigned loop_count;
    bpio_loop *loops;
    int port;
    int shared_fd;           /* one listener watched by every loop (UNIX, inherited), or -1 */
    int owns_shared_fd;
    atomic_int stop_accepting;
    atomic_int shutdown;
    atomic_uint shutdown_timeout_ms;
    atomic_uint shared_watchers; /* loops still watching shared_fd */
    atomic_uint listening_loops; /* loops whose listener is still open */
    /* limits.c */
    atomic_uint open_conns;      /* accepted connections not yet closed, all loops */
    atomic_size_t buffered;      /* sum of every connection's `accounted` */
    atomic_uint paused_loops;    /* loops with accept_paused set */
    bpio_episode concurrency_episode, buffer_episode, fd_episode;
};

void bpio_log(const bpio_server *server, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* stacks.c */
int bpio_stack_signal(void);
/* listen.c */
int bpio_listen_open(bpio_server *server, char *err, size_t err_len);
/* limits.c */
void bpio_limits_init(bpio_loop *loop);
/* Reserves a slot for one more accepted connection; 0 when a limit says wait (accepting is
 * then paused on this loop until bpio_limits_prepare sees room). */
int bpio_limits_reserve(bpio_loop *loop);
void bpio_limits_release(bpio_server *server);
/* Out of descriptors: accepting pauses for 100 ms. */
void bpio_limits_fd_exhausted(bpio_loop *loop, int err);
/* Brings the server's buffered-bytes total up to date with the connection's buffers. */
void bpio_limits_account(bpio_conn *c);
/* Before the loop sleeps: sheds buffers above max_buffered_bytes, resumes paused accepting. */
void bpio_limits_prepare(bpio_loop *loop);
/* conn.c */
bpio_conn *bpio_conn_new(bpio_loop *loop, int fd, const bpio_client_callbacks *client,
                         void *client_ctx);
void bpio_conn_mark_dirty(bpio_conn *c);
int bpio_conn_append_frame(bpio_conn *c, uint16_t flags, int32_t seqid, int zlib,
                           const bpio_header *headers, uint32_t header_count,
                           const uint8_t *message, size_t len);
void bpio_conn_shut(bpio_conn *c, const char *reason);
void bpio_conn_accept_cb(struct ev_loop *ev, ev_io *w, int revents);
/* Delivers frames queued behind finished requests; nonzero when it delivered any (the
 * application then has new work to run). */
int bpio_conn_process_ready(bpio_loop *loop);
void bpio_conn_flush_dirty(bpio_loop *loop);
void bpio_conn_free_grave(bpio_loop *loop);
void bpio_conn_close_idle(bpio_loop *loop);
void bpio_conn_close_all(bpio_loop *loop);

#endif
