// limit_server: the "raw-socket limit" anchor of perf/run. A single-threaded libev server that
// reads length-prefixed frames and answers each with a canned, valid
// BaseplateServiceV2.is_healthy reply (success = true) in the request's dialect, with the
// request's seqid(s) patched in. No Thrift library, no decoding beyond what is needed to find
// the seqid: whatever a Thrift server on one loop does beyond this is its own cost.
//
// Per connection the dialect is detected from the first frame (THeader with binary or
// compact inside, or framed strict binary) and kept. Everything one read() produced is
// answered with one write().
//
// usage: limit_server PORT      (binds 127.0.0.1:PORT)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum dialect { UNKNOWN, FRAMED_BINARY, THEADER_BINARY, THEADER_COMPACT };

struct conn {
    ev_io rio, wio; // data points back to the connection
    int fd;
    enum dialect dialect;
    uint8_t *in;
    size_t in_len, in_cap;
    uint8_t *out;
    size_t out_off, out_len, out_cap;
};

static uint32_t get_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

// --- canned replies: is_healthy REPLY, result {0: bool true} -----------------------------

// Framed strict binary, 31 bytes; message seqid at offset 22.
static const uint8_t FRAMED_BINARY_REPLY[] = {
    0, 0, 0, 27,                                        // frame length
    0x80, 0x01, 0x00, 0x02,                             // version | REPLY
    0, 0, 0, 10, 'i', 's', '_', 'h', 'e', 'a', 'l', 't', 'h', 'y', // name
    0, 0, 0, 0,                                         // seqid (patched)
    2, 0, 0, 1,                                         // field 0: bool true
    0,                                                  // stop
};
#define FB_SEQ_AT 22

// THeader prefix: length (patched), magic 0x0FFF, flags 0, seqid (patched), header size
// 1 word: protocol id (patched), 0 transforms, 2 bytes of zero padding. 18 bytes.
static const uint8_t THEADER_PREFIX[] = {0, 0, 0, 0, 0x0F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
#define TH_LEN 18
#define TH_PROTO_AT 14

// Compact message after the seqid varint: name, field 0 bool true (long form), stop.
static const uint8_t COMPACT_TAIL[] = {10, 'i', 's', '_', 'h', 'e', 'a', 'l', 't', 'h', 'y', 0x01, 0x00, 0x00};

// Largest reply: THeader prefix + compact (2 + 5 varint + tail) or binary (27).
#define MAX_REPLY 64

// Finds the message seqid of a strict-binary message; false if it is not one.
static bool binary_seqid(const uint8_t *p, size_t n, uint32_t *seq) {
    if (n < 12 || p[0] != 0x80 || p[1] != 0x01) return false;
    uint32_t name_len = get_be32(p + 4);
    if (name_len > n - 12) return false;
    *seq = get_be32(p + 8 + name_len);
    return true;
}

static bool compact_seqid(const uint8_t *p, size_t n, uint32_t *seq) {
    if (n < 3 || p[0] != 0x82) return false;
    uint32_t v = 0;
    for (size_t i = 2, shift = 0; i < n && shift < 35; i++, shift += 7) {
        v |= (uint32_t)(p[i] & 0x7f) << shift;
        if (!(p[i] & 0x80)) {
            *seq = v;
            return true;
        }
    }
    return false;
}

// Appends the reply to one frame (without its length prefix) to `out`; returns its size, or
// 0 if the frame is not a request this server understands.
static size_t answer(struct conn *c, const uint8_t *f, size_t n, uint8_t *out) {
    if (c->dialect == UNKNOWN) {
        if (n >= 10 && f[0] == 0x0F && f[1] == 0xFF) {
            size_t hs = (size_t)((f[8] << 8) | f[9]) * 4;
            if (10 + hs > n || hs == 0) return 0;
            if (f[10] == 0) c->dialect = THEADER_BINARY;
            else if (f[10] == 2) c->dialect = THEADER_COMPACT;
            else return 0;
        } else if (n >= 4 && f[0] == 0x80 && f[1] == 0x01) {
            c->dialect = FRAMED_BINARY;
        } else {
            return 0;
        }
    }
    uint32_t seq;
    if (c->dialect == FRAMED_BINARY) {
        if (!binary_seqid(f, n, &seq)) return 0;
        memcpy(out, FRAMED_BINARY_REPLY, sizeof FRAMED_BINARY_REPLY);
        put_be32(out + FB_SEQ_AT, seq);
        return sizeof FRAMED_BINARY_REPLY;
    }
    if (n < 10 || f[0] != 0x0F || f[1] != 0xFF) return 0;
    uint32_t header_seq = get_be32(f + 4);
    size_t hs = (size_t)((f[8] << 8) | f[9]) * 4;
    if (10 + hs > n) return 0;
    const uint8_t *msg = f + 10 + hs;
    size_t mlen = n - 10 - hs;
    memcpy(out, THEADER_PREFIX, TH_LEN);
    put_be32(out + 8, header_seq);
    size_t len = TH_LEN;
    if (c->dialect == THEADER_BINARY) {
        if (!binary_seqid(msg, mlen, &seq)) return 0;
        out[TH_PROTO_AT] = 0;
        memcpy(out + len, FRAMED_BINARY_REPLY + 4, sizeof FRAMED_BINARY_REPLY - 4);
        put_be32(out + len + FB_SEQ_AT - 4, seq);
        len += sizeof FRAMED_BINARY_REPLY - 4;
    } else {
        if (!compact_seqid(msg, mlen, &seq)) return 0;
        out[TH_PROTO_AT] = 2;
        out[len++] = 0x82;
        out[len++] = 0x41; // version 1 | REPLY << 5
        while (seq >= 0x80) {
            out[len++] = (uint8_t)(seq | 0x80);
            seq >>= 7;
        }
        out[len++] = (uint8_t)seq;
        memcpy(out + len, COMPACT_TAIL, sizeof COMPACT_TAIL);
        len += sizeof COMPACT_TAIL;
    }
    put_be32(out, (uint32_t)(len - 4));
    return len;
}

static void conn_close(struct ev_loop *loop, struct conn *c) {
    ev_io_stop(loop, &c->rio);
    ev_io_stop(loop, &c->wio);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

// Writes pending output; returns false if the connection was closed.
static bool conn_flush(struct ev_loop *loop, struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                // back-pressure: stop reading until the client has taken the replies
                ev_io_stop(loop, &c->rio);
                ev_io_start(loop, &c->wio);
                return true;
            }
            conn_close(loop, c);
            return false;
        }
        c->out_off += (size_t)w;
    }
    c->out_off = c->out_len = 0;
    if (ev_is_active(&c->wio)) {
        ev_io_stop(loop, &c->wio);
        ev_io_start(loop, &c->rio);
    }
    return true;
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents) {
    (void)revents;
    conn_flush(loop, w->data);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents) {
    (void)revents;
    struct conn *c = w->data;
    if (c->in_cap - c->in_len < 4096) {
        c->in_cap *= 2;
        uint8_t *p = realloc(c->in, c->in_cap);
        if (!p) {
            conn_close(loop, c);
            return;
        }
        c->in = p;
    }
    ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
    if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        conn_close(loop, c);
        return;
    }
    c->in_len += (size_t)r;
    size_t pos = 0;
    while (c->in_len - pos >= 4) {
        uint32_t len = get_be32(c->in + pos);
        if (len > 0x3FFFFFFF) {
            conn_close(loop, c);
            return;
        }
        if (c->in_len - pos - 4 < len) break;
        if (c->out_cap - c->out_len < MAX_REPLY) {
            c->out_cap *= 2;
            uint8_t *p = realloc(c->out, c->out_cap);
            if (!p) {
                conn_close(loop, c);
                return;
            }
            c->out = p;
        }
        size_t n = answer(c, c->in + pos + 4, len, c->out + c->out_len);
        if (n == 0) {
            fprintf(stderr, "limit_server: fd %d: frame of %u bytes is not an is_healthy call it knows\n", c->fd, len);
            conn_close(loop, c);
            return;
        }
        c->out_len += n;
        pos += 4 + len;
    }
    if (pos > 0) {
        memmove(c->in, c->in + pos, c->in_len - pos);
        c->in_len -= pos;
    }
    if (c->out_len > c->out_off) conn_flush(loop, c);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents) {
    (void)revents;
    for (;;) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return; // EAGAIN, or out of descriptors: try again on the next event
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->in_cap = 65536;
        c->out_cap = 65536;
        c->in = malloc(c->in_cap);
        c->out = malloc(c->out_cap);
        if (!c->in || !c->out) {
            free(c->in);
            free(c->out);
            free(c);
            close(fd);
            continue;
        }
        ev_io_init(&c->rio, on_readable, fd, EV_READ);
        ev_io_init(&c->wio, on_writable, fd, EV_WRITE);
        c->rio.data = c->wio.data = c;
        ev_io_start(loop, &c->rio);
    }
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents) {
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv) {
    if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
        fprintf(stderr, "usage: limit_server PORT   (listens on 127.0.0.1:PORT)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) {
        perror("socket");
        return 1;
    }
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 1024) < 0) {
        perror("limit_server: bind/listen");
        return 1;
    }
    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
    ev_io lio;
    ev_io_init(&lio, on_accept, lfd, EV_READ);
    ev_io_start(loop, &lio);
    ev_signal sterm, sint;
    ev_signal_init(&sterm, on_signal, SIGTERM);
    ev_signal_init(&sint, on_signal, SIGINT);
    ev_signal_start(loop, &sterm);
    ev_signal_start(loop, &sint);
    fprintf(stderr, "limit_server: listening on 127.0.0.1:%s (libev %d.%d, backend %u)\n", argv[1],
            ev_version_major(), ev_version_minor(), ev_backend(loop));
    ev_run(loop, 0);
    close(lfd);
    return 0;
}
