#define _GNU_SOURCE /* CLOCK_BOOTTIME */
#include "bpio_timer.h"

#include <stdlib.h>
#include <time.h>

#include "internal.h"

struct bpio_timer {
    ev_timer w;
    bpio_loop *loop;
    void (*callback)(void *arg);
    void *arg;
};

static void fired(struct ev_loop *ev, ev_timer *w, int revents)
{
    (void)revents;
    bpio_timer *t = (bpio_timer *)w;
    ev_ref(ev); /* stopped by libev after a one-shot fire: balance the unref in arm */
    t->callback(t->arg);
}

bpio_timer *bpio_timer_new(bpio_loop *loop, void (*callback)(void *arg), void *arg)
{
    bpio_timer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    ev_timer_init(&t->w, fired, 0., 0.);
    t->loop = loop;
    t->callback = callback;
    t->arg = arg;
    return t;
}

void bpio_timer_stop(bpio_timer *t)
{
    if (ev_is_active(&t->w)) {
        ev_ref(t->loop->ev);
        ev_timer_stop(t->loop->ev, &t->w);
    }
}

void bpio_timer_arm(bpio_timer *t, double seconds)
{
    bpio_timer_stop(t);
    ev_timer_set(&t->w, seconds > 0 ? seconds : 0., 0.);
    ev_timer_start(t->loop->ev, &t->w);
    /* A pending deadline must not keep a shutting-down loop running. */
    ev_unref(t->loop->ev);
}

void bpio_timer_free(bpio_timer *t)
{
    if (!t)
        return;
    bpio_timer_stop(t);
    free(t);
}

int64_t bpio_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
