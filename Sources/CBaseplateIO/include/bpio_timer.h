#ifndef BPIO_TIMER_H
#define BPIO_TIMER_H

#include <stdint.h>

#include "bpio_server.h"

/* Nanoseconds on CLOCK_BOOTTIME, the clock Swift's ContinuousClock reads on Linux, as a plain
 * integer (request and span timestamps; no 128-bit arithmetic). */
int64_t bpio_now_ns(void);

/* A one-shot timer on a loop, for the application's own deadlines. It does not keep the loop
 * alive during shutdown. All calls on the loop's thread. */
typedef struct bpio_timer bpio_timer;

bpio_timer *bpio_timer_new(bpio_loop *loop, void (*callback)(void *arg), void *arg);
/* (Re)arms the timer to fire once after `seconds` (clamped to 0). */
void bpio_timer_arm(bpio_timer *timer, double seconds);
void bpio_timer_stop(bpio_timer *timer);
/* Stops and frees the timer. */
void bpio_timer_free(bpio_timer *timer);

#endif
