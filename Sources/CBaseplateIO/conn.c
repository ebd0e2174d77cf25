/* Connections: accept, read, split frames, deliver, frame replies, write.
 *
 * A connection delivers one frame at a time: while a request is in flight (`busy`), further
 * frames stay in its input buffer, so replies leave in request order without any reordering
 * machinery. Replies are appended to the connection's output buffer and written once per loop
 * iteration (before the loop sleeps), so a pipelined batch leaves in one write(2). */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static atomic_uint_fast64_t next_conn_id = 1;

static void read_cb(struct ev_loop *ev, ev_io *w, int revents);
static void write_cb(struct ev_loop *ev, ev_io *w, int revents);

static size_t max_frame(const bpio_loop *loop) {
    size_t m = loop->server->config.max_frame_size;
    return m ? m : 16u * 1024 * 1024;
}

static size_t max_pending_output(const bpio_loop *loop) {
    size_t m = loop->server->config.max_pending_output;
    return m ? m : 4u * 1024 * 1024;
}

/* Appended, not pushed: the loop writes in the order requests were answered, so the first
 * request read in an iteration is not the last one sent (each send costs microseconds of
 * kernel time, and a stack made the batch's latency spread twice as wide; perf/RESULTS.md). */
static void mark_dirty(bpio_conn *c) {
    if (!c->in_dirty) {
        c->in_dirty = 1;
        c->next_dirty = NULL;
        *c->loop->dirty_tail = c;
        c->loop->dirty_tail = &c->next_dirty;
    }
}

static void mark_ready(bpio_conn *c) {
    if (!c->in_ready) {
        c->in_ready = 1;
        c->next_ready = c->loop->ready;
        c->loop->ready = c;
    }
}

static void bury(bpio_conn *c) {
    if (!c->in_grave) {
        c->in_grave = 1;
        c->next_grave = c->loop->grave;
        c->loop->grave = c;
    }
}

/* Closes the socket now; the struct lives on until no request refers to it. A client
 * connection tells its owner why, once. */
void bpio_conn_shut(bpio_conn *c, const char *reason) {
    if (c->closed) {
        return;
    }
    bpio_loop *loop = c->loop;
    ev_io_stop(loop->ev, &c->read_w);
    ev_io_stop(loop->ev, &c->write_w);
    close(c->fd);
    c->fd = -1;
    c->closed = 1;
    c->reading = 0;
    if (c->prev) {
        c->prev->next = c->next;
    } else {
        loop->conns = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    if (!c->client) {
        loop->conn_count--;
        bpio_limits_release(loop->server);
    }
    if (!c->busy) {
        bury(c);
    }
    if (c->client && c->client_cb.on_close) {
        c->client_cb.on_close(c, c->client_ctx, reason);
    }
}

static void conn_close(bpio_conn *c) {
    bpio_conn_shut(c, "connection closed");
}

/* Reading pauses while a busy connection has a read-ahead queued, or while its output is
 * backed up (the client is not reading its replies), so neither buffer grows without bound. */
static void update_reading(bpio_conn *c) {
    if (c->closed) {
        return;
    }
    int want = !c->close_after_flush && !c->connecting &&
               (c->client || !c->loop->shutting_down) &&
               !(c->busy && c->in.len >= BPIO_READ_AHEAD) &&
               c->out.len - c->out_sent < max_pending_output(c->loop);
    if (want && !c->reading) {
        ev_io_start(c->loop->ev, &c->read_w);
    } else if (!want && c->reading) {
        ev_io_stop(c->loop->ev, &c->read_w);
    }
    c->reading = (uint8_t)want;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void protocol_error(bpio_conn *c, const char *what) {
    bpio_log(c->loop->server, BPIO_LOG_WARNING, "connection %llu: %s; closing",
             (unsigned long long)c->id, what);
    c->close_after_flush = 1;
    if (c->out.len == c->out_sent) {
        conn_close(c);
    } else {
        mark_dirty(c);
    }
}

/* Delivers complete frames from data[0..len) while the connection is free; returns the bytes
 * consumed. Stops at a partial frame, a busy connection, or an error (which closes). */
static size_t deliver(bpio_conn *c, const uint8_t *data, size_t len) {
    bpio_loop *loop = c->loop;
    size_t off = 0;
    while (!c->busy && !c->closed && !c->close_after_flush && off < len) {
        const uint8_t *p = data + off;
        size_t avail = len - off;
        bpio_dialect dialect;
        bpio_status st = bpio_detect_dialect(p, avail, &dialect);
        if (st == BPIO_NEED_MORE) {
            break;
        }
        if (st == BPIO_ERROR) {
            protocol_error(c, "could not detect the client's Thrift transport type");
            break;
        }
        bpio_frame frame = {.dialect = (uint8_t)dialect};
        size_t frame_len;
        if (dialect == BPIO_DIALECT_UNFRAMED_BINARY || dialect == BPIO_DIALECT_UNFRAMED_COMPACT) {
            frame.protocol = dialect == BPIO_DIALECT_UNFRAMED_BINARY ? BPIO_PROTOCOL_BINARY
                                                                     : BPIO_PROTOCOL_COMPACT;
            bpio_walk fresh;
            bpio_walk *walk = c->walk;
            if (walk == NULL) {
                bpio_walk_reset(&fresh);
                walk = &fresh;
            }
            st = bpio_message_walk(walk, frame.protocol, p, avail, max_frame(loop), &frame_len);
            if (st == BPIO_NEED_MORE && c->walk == NULL) {
                /* Keep the walk so the next read resumes it (rare: only unframed clients). */
                c->walk = malloc(sizeof *c->walk);
                if (c->walk == NULL) {
                    protocol_error(c, "out of memory for input");
                    break;
                }
                *c->walk = fresh;
            }
            if (st == BPIO_NEED_MORE) {
                break;
            }
            free(c->walk);
            c->walk = NULL;
            if (st == BPIO_ERROR) {
                protocol_error(c, "malformed unframed message, or larger than max_frame_size");
                break;
            }
            frame.payload = p;
            frame.payload_len = frame_len;
        } else {
            size_t body_len = be32(p);
            if (body_len > max_frame(loop)) {
                bpio_log(loop->server, BPIO_LOG_WARNING,
                         "connection %llu: frame of %zu bytes exceeds max_frame_size %zu; closing",
                         (unsigned long long)c->id, body_len, max_frame(loop));
                c->close_after_flush = 1;
                conn_close(c);
                break;
            }
            if (avail - 4 < body_len) {
                break;
            }
            frame_len = 4 + body_len;
            if (dialect == BPIO_DIALECT_HEADER) {
                const char *why = NULL;
                if (bpio_theader_parse(p + 4, body_len, loop->headers, &frame, &why) != BPIO_OK) {
                    protocol_error(c, why);
                    break;
                }
                if (frame.zlib) {
                    loop->inflated.len = 0;
                    if (bpio_zlib_inflate(frame.payload, frame.payload_len, max_frame(loop),
                                          &loop->inflated) != 0) {
                        protocol_error(c, "corrupt or oversized zlib payload");
                        break;
                    }
                    frame.payload = loop->inflated.data;
                    frame.payload_len = loop->inflated.len;
                }
            } else {
                frame.protocol = dialect == BPIO_DIALECT_FRAMED_BINARY ? BPIO_PROTOCOL_BINARY
                                                                       : BPIO_PROTOCOL_COMPACT;
                frame.payload = p + 4;
                frame.payload_len = body_len;
            }
        }
        off += frame_len;
        if (c->client) {
            /* Replies to this process's own calls: no request to gate on. */
            c->client_cb.on_frame(c, c->client_ctx, &frame);
            continue;
        }
        c->busy = 1;
        c->req_dialect = frame.dialect;
        c->req_protocol = frame.protocol;
        c->req_zlib = frame.zlib;
        c->req_flags = frame.flags;
        c->req_seqid = frame.seqid;
        loop->server->callbacks.on_frame(loop, loop->ctx, c, &frame);
    }
    return off;
}

/* Delivers what the connection's own buffer holds (after its request finished). */
static void deliver_buffered(bpio_conn *c) {
    if (c->closed || c->busy || c->in.len == 0) {
        return;
    }
    size_t used = deliver(c, c->in.data, c->in.len);
    bpio_buf_consume(&c->in, used);
    if (c->in.len == 0) {
        bpio_buf_free(&c->in); /* idle connections hold no input buffer */
    }
    bpio_limits_account(c);
}

static void read_cb(struct ev_loop *ev, ev_io *w, int revents) {
    (void)revents;
    bpio_conn *c = w->data;
    bpio_loop *loop = c->loop;
    /* Nothing buffered: read into the loop's scratch and deliver in place; only a leftover
     * (a partial frame, or frames behind a busy request) is copied to the connection. */
    int direct = c->in.len == 0;
    bpio_buf *b = direct ? &loop->scratch : &c->in;
    if (direct) {
        b->len = 0;
    } else if (bpio_buf_reserve(b, BPIO_READ_CHUNK) != 0) {
        protocol_error(c, "out of memory for input");
        return;
    }
    size_t room = direct ? b->cap : b->cap - b->len;
    if (room > BPIO_READ_CHUNK && !direct) {
        room = BPIO_READ_CHUNK;
    }
    ssize_t n = read(c->fd, b->data + b->len, room);
    if (n == 0) {
        bpio_conn_shut(c, "connection closed by peer");
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            bpio_log(loop->server, BPIO_LOG_DEBUG, "connection %llu: read: %s",
                     (unsigned long long)c->id, strerror(errno));
            bpio_conn_shut(c, strerror(errno));
        }
        return;
    }
    b->len += (size_t)n;
    c->last_read = ev_now(ev);
    size_t used = deliver(c, b->data, b->len);
    if (direct) {
        if (!c->closed && used < b->len &&
            bpio_buf_append(&c->in, b->data + used, b->len - used) != 0) {
            protocol_error(c, "out of memory for input");
        }
        b->len = 0;
    } else {
        bpio_buf_consume(b, used);
        if (b->len == 0) {
            bpio_buf_free(b);
        }
    }
    bpio_limits_account(c);
    update_reading(c);
}

void bpio_conn_accept_cb(struct ev_loop *ev, ev_io *w, int revents) {
    (void)ev;
    (void)revents;
    bpio_loop *loop = w->data;
    for (int i = 0; i < BPIO_ACCEPT_BATCH; i++) {
        if (!bpio_limits_reserve(loop)) {
            return; /* at a limit: accepting paused, the rest wait in the backlog */
        }
        int fd = accept4(loop->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int err = errno;
            bpio_limits_release(loop->server);
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                bpio_limits_fd_exhausted(loop, err); /* pause instead of spinning */
            }
            return; /* EAGAIN: another loop took it, or the queue is empty */
        }
        bpio_conn *c = bpio_conn_new(loop, fd, NULL, NULL);
        if (c == NULL) {
            bpio_limits_release(loop->server);
            close(fd);
            continue;
        }
        update_reading(c);
    }
}

bpio_conn *bpio_conn_new(bpio_loop *loop, int fd, const bpio_client_callbacks *client,
                         void *client_ctx) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on UNIX */
    bpio_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->loop = loop;
    c->fd = fd;
    if (client) {
        c->client = 1;
        c->client_cb = *client;
        c->client_ctx = client_ctx;
    }
    c->id = atomic_fetch_add(&next_conn_id, 1);
    c->last_read = ev_now(loop->ev);
    ev_io_init(&c->read_w, read_cb, fd, EV_READ);
    ev_io_init(&c->write_w, write_cb, fd, EV_WRITE);
    c->read_w.data = c;
    c->write_w.data = c;
    c->next = loop->conns;
    if (loop->conns) {
        loop->conns->prev = c;
    }
    loop->conns = c;
    if (!client) {
        loop->conn_count++; /* counts what the server serves: shutdown waits for these */
    }
    return c;
}

/* Writes pending output; called before the loop sleeps and when the socket drains. */
static void flush(bpio_conn *c) {
    if (c->connecting) {
        ev_io_start(c->loop->ev, &c->write_w); /* write_cb finishes the connect, then flushes */
        return;
    }
    while (!c->closed && c->out_sent < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out_sent, c->out.len - c->out_sent,
                         MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                ev_io_start(c->loop->ev, &c->write_w); /* only after a short write */
                update_reading(c);
                return;
            }
            bpio_conn_shut(c, strerror(errno));
            return;
        }
        c->out_sent += (size_t)n;
    }
    if (c->closed) {
        return;
    }
    ev_io_stop(c->loop->ev, &c->write_w);
    c->out.len = 0;
    c->out_sent = 0;
    if (c->out.cap > BPIO_KEEP_OUTPUT) {
        bpio_buf_free(&c->out);
    }
    bpio_limits_account(c);
    if (c->close_after_flush && !c->busy) {
        conn_close(c);
        return;
    }
    if (c->loop->shutting_down && !c->busy && !c->client) {
        conn_close(c); /* shutting down: the last reply is out */
        return;
    }
    update_reading(c);
}

static void write_cb(struct ev_loop *ev, ev_io *w, int revents) {
    (void)ev;
    (void)revents;
    bpio_conn *c = w->data;
    if (c->connecting) {
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len);
        if (error != 0) {
            bpio_conn_shut(c, strerror(error));
            return;
        }
        c->connecting = 0;
        update_reading(c);
    }
    flush(c);
    if (!c->closed) {
        mark_ready(c); /* reading may have paused on output; buffered frames may wait */
    }
}

void bpio_conn_mark_dirty(bpio_conn *c) {
    mark_dirty(c);
}

void bpio_conn_flush_dirty(bpio_loop *loop) {
    while (loop->dirty) {
        bpio_conn *c = loop->dirty;
        loop->dirty = c->next_dirty;
        if (loop->dirty == NULL) {
            loop->dirty_tail = &loop->dirty;
        }
        c->in_dirty = 0;
        flush(c);
    }
}

int bpio_conn_process_ready(bpio_loop *loop) {
    int delivered = 0;
    while (loop->ready) {
        bpio_conn *c = loop->ready;
        loop->ready = c->next_ready;
        c->in_ready = 0;
        uint8_t was_busy = c->busy;
        deliver_buffered(c);
        delivered |= c->busy && !was_busy;
        update_reading(c);
    }
    return delivered;
}

void bpio_conn_free_grave(bpio_loop *loop) {
    while (loop->grave) {
        bpio_conn *c = loop->grave;
        loop->grave = c->next_grave;
        if (c->busy || c->in_dirty || c->in_ready) {
            c->in_grave = 0; /* still referenced; buried again when released */
            continue;
        }
        bpio_buf_free(&c->in);
        bpio_buf_free(&c->out);
        bpio_limits_account(c);
        free(c->walk);
        free(c);
    }
}

void bpio_conn_close_idle(bpio_loop *loop) {
    bpio_conn *c = loop->conns;
    while (c) {
        bpio_conn *next = c->next;
        if (c->client) {
            c = next; /* outbound calls of requests in flight must finish: closed last */
            continue;
        }
        if (!c->busy && c->out.len == c->out_sent) {
            conn_close(c);
        } else {
            update_reading(c);
        }
        c = next;
    }
}

void bpio_conn_close_all(bpio_loop *loop) {
    while (loop->conns) {
        conn_close(loop->conns);
    }
}

/* The request is answered: the connection may deliver its next frame. */
static int finish_request(bpio_conn *c) {
    c->busy = 0;
    if (c->closed) {
        bury(c);
        return -1;
    }
    if (c->in.len > 0) {
        mark_ready(c);
    }
    return 0;
}

/* Appends one message to the connection's output, framed in its dialect: THeader (with the
 * given flags, seqid and headers, zlib-compressed when asked), a length prefix, or bare. */
int bpio_conn_append_frame(bpio_conn *c, uint16_t flags, int32_t seqid, int zlib,
                           const bpio_header *headers, uint32_t header_count,
                           const uint8_t *message, size_t len) {
    switch (c->req_dialect) {
    case BPIO_DIALECT_HEADER:
        if (zlib) {
            c->loop->deflated.len = 0;
            if (bpio_zlib_deflate(message, len, &c->loop->deflated) != 0) {
                return -1;
            }
            message = c->loop->deflated.data;
            len = c->loop->deflated.len;
        }
        return bpio_theader_write(&c->out, flags, seqid, c->req_protocol, zlib, headers,
                                  header_count, message, len);
    case BPIO_DIALECT_FRAMED_BINARY:
    case BPIO_DIALECT_FRAMED_COMPACT: {
        uint8_t prefix[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                             (uint8_t)len};
        if (bpio_buf_reserve(&c->out, 4 + len) != 0) {
            return -1;
        }
        bpio_buf_append(&c->out, prefix, 4);
        return bpio_buf_append(&c->out, message, len);
    }
    default:
        return bpio_buf_append(&c->out, message, len);
    }
}

int bpio_conn_reply(bpio_conn *c, const uint8_t *message, size_t len) {
    if (c->closed) {
        return finish_request(c);
    }
    if (bpio_conn_append_frame(c, c->req_flags, c->req_seqid, c->req_zlib, NULL, 0, message,
                               len) != 0) {
        bpio_log(c->loop->server, BPIO_LOG_ERROR, "connection %llu: cannot queue a %zu-byte reply",
                 (unsigned long long)c->id, len);
        c->close_after_flush = 1;
    }
    bpio_limits_account(c);
    mark_dirty(c);
    return finish_request(c);
}

void bpio_conn_done(bpio_conn *c) {
    if (!c->closed && (c->loop->shutting_down || c->close_after_flush)) {
        mark_dirty(c); /* lets flush() close it */
    }
    finish_request(c);
}

void bpio_conn_close(bpio_conn *c) {
    c->close_after_flush = 1;
    if (!c->closed) {
        mark_dirty(c);
    }
    finish_request(c);
}

uint64_t bpio_conn_id(const bpio_conn *c) {
    return c->id;
}
