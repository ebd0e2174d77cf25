/* The server: loops, their threads, and the cross-thread requests (wake, stop accepting,
 * shut down), all delivered through each loop's ev_async. */
#define _GNU_SOURCE
#include "internal.h"

#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Thread_local bpio_loop *current_loop;

void bpio_log(const bpio_server *server, int level, const char *fmt, ...) {
    if (server->callbacks.on_log == NULL) {
        return;
    }
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    server->callbacks.on_log(server->callbacks.log_ctx, level, line);
}

static unsigned cpus_allowed(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) {
            return (unsigned)n;
        }
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static void stop_listening(bpio_loop *loop) {
    if (!loop->accepting) {
        return;
    }
    loop->accepting = 0;
    atomic_fetch_sub(&loop->server->listening_loops, 1);
    if (loop->accept_paused) {
        loop->accept_paused = 0;
        atomic_fetch_sub(&loop->server->paused_loops, 1);
    }
    ev_io_stop(loop->ev, &loop->accept_w);
    ev_timer_stop(loop->ev, &loop->accept_retry_w);
    bpio_server *s = loop->server;
    if (loop->listen_fd != s->shared_fd) {
        close(loop->listen_fd);
    } else if (atomic_fetch_sub(&s->shared_watchers, 1) == 1 && s->owns_shared_fd) {
        close(s->shared_fd); /* the last loop watching the shared listener closes it */
        if (s->config.unix_path) {
            unlink(s->config.unix_path);
        }
    }
    loop->listen_fd = -1;
}

static void check_done(bpio_loop *loop) {
    if (loop->shutting_down && loop->conn_count == 0) {
        ev_break(loop->ev, EVBREAK_ALL);
    }
}

/* Runs before the loop sleeps: application work, queued frames, then one write per
 * connection with output. Repeats while the application reports more work (bounded, so a
 * busy application cannot starve I/O; 64 rounds let a pipelined batch finish in one iteration). */
static void prepare_cb(struct ev_loop *ev, ev_prepare *w, int revents) {
    (void)revents;
    bpio_loop *loop = w->data;
    int more = 0;
    for (int round = 0; round < 64; round++) {
        more = loop->server->callbacks.on_drain(loop, loop->ctx);
        /* Frames delivered here start new work: it must run before the loop sleeps. */
        more |= bpio_conn_process_ready(loop);
        if (!more && loop->ready == NULL) {
            break;
        }
    }
    bpio_conn_flush_dirty(loop);
    if (loop->server->callbacks.on_written != NULL) {
        loop->server->callbacks.on_written(loop, loop->ctx);
    }
    bpio_limits_prepare(loop);
    bpio_conn_free_grave(loop);
    if (more || loop->ready) {
        ev_idle_start(ev, &loop->idle_w); /* poll without sleeping: work is waiting */
    } else {
        ev_idle_stop(ev, &loop->idle_w);
    }
    check_done(loop);
}

static void idle_cb(struct ev_loop *ev, ev_idle *w, int revents) {
    (void)ev;
    (void)w;
    (void)revents; /* its only job is to keep the next poll from blocking */
}

static void shutdown_timeout_cb(struct ev_loop *ev, ev_timer *w, int revents) {
    (void)revents;
    bpio_loop *loop = w->data;
    bpio_log(loop->server, BPIO_LOG_WARNING,
             "loop %u: stop timeout reached with %u connection(s) still open", loop->index,
             loop->conn_count);
    ev_break(ev, EVBREAK_ALL);
}

static void async_cb(struct ev_loop *ev, ev_async *w, int revents) {
    (void)revents;
    bpio_loop *loop = w->data;
    bpio_server *s = loop->server;
    if (atomic_load(&s->stop_accepting)) {
        stop_listening(loop);
    }
    if (atomic_load(&s->shutdown) && !loop->shutting_down) {
        loop->shutting_down = 1;
        stop_listening(loop);
        bpio_conn_close_idle(loop);
        double t = atomic_load(&s->shutdown_timeout_ms) / 1000.0;
        ev_timer_set(&loop->shutdown_w, t, 0.);
        ev_timer_start(ev, &loop->shutdown_w);
    }
    /* Application work queued from other threads runs in prepare_cb, next. */
}

static void accept_retry_cb(struct ev_loop *ev, ev_timer *w, int revents) {
    (void)revents;
    bpio_loop *loop = w->data;
    if (loop->accepting && !loop->accept_paused) {
        ev_io_start(ev, &loop->accept_w);
    }
}

bpio_server *bpio_server_new(const bpio_server_config *config, const bpio_callbacks *callbacks,
                             char *err, size_t err_len) {
    if (callbacks->on_frame == NULL || callbacks->on_drain == NULL) {
        snprintf(err, err_len, "on_frame and on_drain callbacks are required");
        return NULL;
    }
    bpio_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    s->config = *config;
    /* The caller's strings may not outlive this call. */
    s->config.host = config->host ? strdup(config->host) : NULL;
    s->config.unix_path = config->unix_path ? strdup(config->unix_path) : NULL;
    s->callbacks = *callbacks;
    s->shared_fd = -1;
    s->loop_count = config->io_threads ? config->io_threads : cpus_allowed();
    s->loops = calloc(s->loop_count, sizeof *s->loops);
    if (s->loops == NULL) {
        bpio_server_free(s);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    for (unsigned i = 0; i < s->loop_count; i++) {
        bpio_loop *loop = &s->loops[i];
        loop->server = s;
        loop->index = i;
        loop->dirty_tail = &loop->dirty;
        loop->listen_fd = -1;
        /* NOSIGMASK: signals belong to the main thread; loop threads block them all. */
        loop->ev = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
        if (loop->ev == NULL || bpio_buf_reserve(&loop->scratch, BPIO_READ_CHUNK) != 0) {
            snprintf(err, err_len, "cannot create event loop %u", i);
            bpio_server_free(s);
            return NULL;
        }
        ev_prepare_init(&loop->prepare_w, prepare_cb);
        ev_idle_init(&loop->idle_w, idle_cb);
        ev_async_init(&loop->async_w, async_cb);
        ev_timer_init(&loop->shutdown_w, shutdown_timeout_cb, 0., 0.);
        ev_timer_init(&loop->accept_retry_w, accept_retry_cb, 0., 0.);
        loop->prepare_w.data = loop->async_w.data = loop->shutdown_w.data = loop;
        loop->accept_retry_w.data = loop;
        ev_prepare_start(loop->ev, &loop->prepare_w);
        ev_async_start(loop->ev, &loop->async_w);
        bpio_limits_init(loop);
    }
    if (bpio_listen_open(s, err, err_len) != 0) {
        bpio_server_free(s);
        return NULL;
    }
    for (unsigned i = 0; i < s->loop_count && s->loops[i].listen_fd >= 0; i++) {
        bpio_loop *loop = &s->loops[i];
        ev_io_init(&loop->accept_w, bpio_conn_accept_cb, loop->listen_fd, EV_READ);
        loop->accept_w.data = loop;
        ev_io_start(loop->ev, &loop->accept_w);
        loop->accepting = 1;
        atomic_fetch_add(&s->listening_loops, 1);
    }
    return s;
}

static void *loop_main(void *arg) {
    bpio_loop *loop = arg;
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, bpio_stack_signal()); /* SIGUSR1's dump asks each thread for its stack */
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    char name[16];
    snprintf(name, sizeof name, "bpio-loop-%u", loop->index);
    pthread_setname_np(pthread_self(), name);
    current_loop = loop;
    ev_run(loop->ev, 0);
    bpio_conn_close_all(loop);
    stop_listening(loop);
    current_loop = NULL;
    return NULL;
}

int bpio_server_start(bpio_server *s, char *err, size_t err_len) {
    for (unsigned i = 0; i < s->loop_count; i++) {
        bpio_loop *loop = &s->loops[i];
        if (pthread_create(&loop->thread, NULL, loop_main, loop) != 0) {
            snprintf(err, err_len, "cannot start loop thread %u", i);
            return -1;
        }
        loop->thread_started = 1;
    }
    return 0;
}

void bpio_server_stop_accepting(bpio_server *s) {
    atomic_store(&s->stop_accepting, 1);
    for (unsigned i = 0; i < s->loop_count; i++) {
        ev_async_send(s->loops[i].ev, &s->loops[i].async_w);
    }
    /* Wait (up to 1 s) until every listener is closed, so a client that reconnects after the
     * shutdown closes its connection is refused rather than accepted and then reset. */
    for (int i = 0; i < 1000 && atomic_load(&s->listening_loops) > 0; i++) {
        if (!s->loops[0].thread_started) {
            break; /* loops not running: nothing closes the listeners */
        }
        usleep(1000);
    }
}

void bpio_server_shutdown(bpio_server *s, unsigned timeout_ms) {
    atomic_store(&s->shutdown_timeout_ms, timeout_ms);
    atomic_store(&s->shutdown, 1);
    for (unsigned i = 0; i < s->loop_count; i++) {
        ev_async_send(s->loops[i].ev, &s->loops[i].async_w);
    }
}

void bpio_server_join(bpio_server *s) {
    for (unsigned i = 0; i < s->loop_count; i++) {
        if (s->loops[i].thread_started) {
            pthread_join(s->loops[i].thread, NULL);
            s->loops[i].thread_started = 0;
        }
    }
}

void bpio_server_free(bpio_server *s) {
    if (s == NULL) {
        return;
    }
    for (unsigned i = 0; s->loops && i < s->loop_count; i++) {
        bpio_loop *loop = &s->loops[i];
        if (loop->ev) {
            bpio_conn_close_all(loop);
            bpio_conn_free_grave(loop);
            if (loop->listen_fd >= 0 && loop->listen_fd != s->shared_fd) {
                close(loop->listen_fd);
            }
            ev_loop_destroy(loop->ev);
        }
        bpio_buf_free(&loop->scratch);
        bpio_buf_free(&loop->inflated);
        bpio_buf_free(&loop->deflated);
    }
    if (s->owns_shared_fd && atomic_load(&s->shared_watchers) > 0) {
        close(s->shared_fd);
        if (s->config.unix_path) {
            unlink(s->config.unix_path);
        }
    }
    free((void *)s->config.host);
    free((void *)s->config.unix_path);
    free(s->loops);
    free(s);
}

unsigned bpio_server_loop_count(const bpio_server *s) { return s->loop_count; }
bpio_loop *bpio_server_loop(bpio_server *s, unsigned i) { return i < s->loop_count ? &s->loops[i] : NULL; }
int bpio_server_port(const bpio_server *s) { return s->port; }

void bpio_loop_set_ctx(bpio_loop *loop, void *ctx) { loop->ctx = ctx; }
void *bpio_loop_ctx(const bpio_loop *loop) { return loop->ctx; }
unsigned bpio_loop_index(const bpio_loop *loop) { return loop->index; }
int bpio_loop_is_current(const bpio_loop *loop) { return current_loop == loop; }
bpio_loop *bpio_loop_current(void) { return current_loop; }
void bpio_loop_wake(bpio_loop *loop) { ev_async_send(loop->ev, &loop->async_w); }
unsigned bpio_loop_connection_count(const bpio_loop *loop) { return loop->conn_count; }
int bpio_loop_is_shutting_down(const bpio_loop *loop) { return loop->shutting_down; }
