/* Process-wide limits, so a crowd of clients (or one hostile client) cannot exhaust the
 * process:
 * - max_concurrency: at the limit a loop stops accepting, so further connections wait in the
 *   kernel's listen backlog instead of being accepted and starved;
 * - max_buffered_bytes: input and output buffers across every connection; above it accepting
 *   pauses and each loop closes its connections holding the most, until the total fits;
 * - read_timeout: a connection holding part of a request whose next bytes do not come is
 *   closed (a client that sends half a frame and stalls);
 * - running out of descriptors (EMFILE): accepting pauses for 100 ms.
 * A limit that acts logs one line when it starts and one when it has been quiet for a second
 * (an "episode"), not one per connection it touched. */
#define _GNU_SOURCE
#include "internal.h"

#include <string.h>
#include <time.h>

#define DEFAULT_MAX_BUFFERED ((size_t)256 * 1024 * 1024)
/* A connection holding no more than one read's worth of input and a kept output buffer is
 * never closed for the buffer limit: that is what every busy connection holds. */
#define SHED_FLOOR ((size_t)BPIO_READ_CHUNK + BPIO_KEEP_OUTPUT)
#define EPISODE_QUIET_MS 1000

static long long monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Notes that a limit acted; nonzero when this starts an episode (the caller logs it). */
static int episode_hit(bpio_episode *e) {
    atomic_store(&e->last_ms, monotonic_ms());
    atomic_fetch_add(&e->events, 1);
    return atomic_exchange(&e->active, 1) == 0;
}

/* Ends the episode once the limit has been quiet for a while; nonzero when it ended now. */
static int episode_quiet(bpio_episode *e, long long now, unsigned long long *events) {
    if (!atomic_load(&e->active) || now - atomic_load(&e->last_ms) < EPISODE_QUIET_MS) {
        return 0;
    }
    if (atomic_exchange(&e->active, 0) == 0) {
        return 0; /* another loop ended it */
    }
    *events = atomic_exchange(&e->events, 0);
    return 1;
}

static size_t max_buffered(const bpio_server *s) {
    return s->config.max_buffered_bytes ? s->config.max_buffered_bytes : DEFAULT_MAX_BUFFERED;
}

static int over_buffered(const bpio_server *s) {
    return atomic_load(&s->buffered) > max_buffered(s);
}

static void pause_accepting(bpio_loop *loop) {
    if (!loop->accept_paused) {
        loop->accept_paused = 1;
        atomic_fetch_add(&loop->server->paused_loops, 1);
    }
    ev_io_stop(loop->ev, &loop->accept_w);
}

int bpio_limits_reserve(bpio_loop *loop) {
    bpio_server *s = loop->server;
    unsigned max = s->config.max_concurrency;
    unsigned open = atomic_fetch_add(&s->open_conns, 1);
    if (max > 0 && open >= max) {
        atomic_fetch_sub(&s->open_conns, 1);
        if (episode_hit(&s->concurrency_episode)) {
            bpio_log(s, BPIO_LOG_WARNING,
                     "max_concurrency (%u) reached: further connections wait in the listen "
                     "backlog until one closes", max);
        }
        pause_accepting(loop);
        return 0;
    }
    if (over_buffered(s)) {
        atomic_fetch_sub(&s->open_conns, 1);
        episode_hit(&s->buffer_episode); /* logged by the shedding that goes with it */
        pause_accepting(loop);
        return 0;
    }
    return 1;
}

void bpio_limits_release(bpio_server *s) {
    atomic_fetch_sub(&s->open_conns, 1);
    if (atomic_load(&s->paused_loops) > 0) {
        /* A paused loop may be asleep: its prepare callback resumes it once woken. */
        for (unsigned i = 0; i < s->loop_count; i++) {
            if (bpio_loop_current() != &s->loops[i]) {
                ev_async_send(s->loops[i].ev, &s->loops[i].async_w);
            }
        }
    }
}

void bpio_limits_fd_exhausted(bpio_loop *loop, int err) {
    if (episode_hit(&loop->server->fd_episode)) {
        bpio_log(loop->server, BPIO_LOG_ERROR,
                 "accept: %s; pausing accepts for 100 ms at a time until descriptors free up",
                 strerror(err));
    }
    ev_io_stop(loop->ev, &loop->accept_w);
    ev_timer_set(&loop->accept_retry_w, 0.1, 0.);
    ev_timer_start(loop->ev, &loop->accept_retry_w);
}

void bpio_limits_account(bpio_conn *c) {
    size_t now = c->in.cap + c->out.cap;
    if (now == c->accounted) {
        return; /* the common case: buffers reused at their size, no shared write */
    }
    bpio_server *s = c->loop->server;
    if (now > c->accounted) {
        atomic_fetch_add(&s->buffered, now - c->accounted);
    } else {
        atomic_fetch_sub(&s->buffered, c->accounted - now);
    }
    c->accounted = now;
}

/* Closes this loop's connection holding the most buffered bytes, if it holds more than a busy
 * connection normally does. Returns 0 when there is none. */
static int shed_one(bpio_loop *loop) {
    bpio_conn *worst = NULL;
    for (bpio_conn *c = loop->conns; c; c = c->next) {
        if (!c->client && c->accounted > SHED_FLOOR && (!worst || c->accounted > worst->accounted)) {
            worst = c;
        }
    }
    if (worst == NULL) {
        return 0;
    }
    bpio_server *s = loop->server;
    size_t held = worst->accounted;
    int first = episode_hit(&s->buffer_episode);
    bpio_log(s, first ? BPIO_LOG_WARNING : BPIO_LOG_DEBUG,
             "max_buffered_bytes (%zu) exceeded: %zu bytes buffered; closing connection %llu, "
             "which holds %zu%s", max_buffered(s), atomic_load(&s->buffered),
             (unsigned long long)worst->id, held,
             first ? " (connections holding the most are closed until the total fits)" : "");
    bpio_conn_shut(worst, "max_buffered_bytes exceeded");
    /* Outside any delivery (this runs before the loop sleeps), so nothing borrows these. */
    bpio_buf_free(&worst->in);
    bpio_buf_free(&worst->out);
    worst->out_sent = 0;
    bpio_limits_account(worst);
    return 1;
}

static void resume_accepting(bpio_loop *loop) {
    bpio_server *s = loop->server;
    unsigned max = s->config.max_concurrency;
    if (!loop->accept_paused || (max > 0 && atomic_load(&s->open_conns) >= max) ||
        over_buffered(s)) {
        return;
    }
    loop->accept_paused = 0;
    atomic_fetch_sub(&s->paused_loops, 1);
    if (loop->accepting && !ev_is_active(&loop->accept_retry_w)) {
        ev_io_start(loop->ev, &loop->accept_w);
    }
}

void bpio_limits_prepare(bpio_loop *loop) {
    if (over_buffered(loop->server)) {
        while (over_buffered(loop->server) && shed_one(loop)) {
        }
    }
    if (loop->accept_paused) {
        resume_accepting(loop);
    }
}

static void sweep_read_timeouts(bpio_loop *loop) {
    bpio_server *s = loop->server;
    ev_tstamp timeout = s->config.read_timeout_ms / 1000.0;
    ev_tstamp now = ev_now(loop->ev);
    bpio_conn *c = loop->conns;
    while (c) {
        bpio_conn *next = c->next;
        /* Idle between requests, with bytes of the next one buffered, still reading (not paused
         * by us), and nothing new for read_timeout: the client stalled mid-request. */
        if (!c->client && !c->busy && !c->in_ready && c->reading && c->in.len > 0 &&
            now - c->last_read >= timeout) {
            bpio_log(s, BPIO_LOG_WARNING,
                     "connection %llu: no bytes for %.1f s with %zu bytes of a request buffered "
                     "(read_timeout); closing", (unsigned long long)c->id, now - c->last_read,
                     c->in.len);
            bpio_conn_shut(c, "read_timeout");
        }
        c = next;
    }
}

static void limits_tick(struct ev_loop *ev, ev_timer *w, int revents) {
    (void)ev;
    (void)revents;
    bpio_loop *loop = w->data;
    bpio_server *s = loop->server;
    if (s->config.read_timeout_ms > 0) {
        sweep_read_timeouts(loop);
    }
    long long now = monotonic_ms();
    unsigned long long n;
    if (episode_quiet(&s->concurrency_episode, now, &n)) {
        bpio_log(s, BPIO_LOG_INFO, "max_concurrency (%u): no longer at the limit (reached %llu "
                 "time(s) in that episode); accepting", s->config.max_concurrency, n);
    }
    if (episode_quiet(&s->buffer_episode, now, &n)) {
        bpio_log(s, BPIO_LOG_INFO, "max_buffered_bytes (%zu): total back under the limit (%llu "
                 "connection(s) closed or accept(s) deferred in that episode)", max_buffered(s), n);
    }
    if (episode_quiet(&s->fd_episode, now, &n)) {
        bpio_log(s, BPIO_LOG_INFO, "accept: descriptors available again (%llu pause(s))", n);
    }
}

void bpio_limits_init(bpio_loop *loop) {
    const bpio_server_config *c = &loop->server->config;
    /* Often enough that a stalled request waits at most a quarter more than read_timeout. */
    double interval = 1.0;
    if (c->read_timeout_ms > 0 && c->read_timeout_ms / 4000.0 < interval) {
        interval = c->read_timeout_ms / 4000.0;
        if (interval < 0.01) {
            interval = 0.01;
        }
    }
    ev_timer_init(&loop->limits_w, limits_tick, interval, interval);
    loop->limits_w.data = loop;
    ev_timer_start(loop->ev, &loop->limits_w);
}
