#ifndef BPIO_STACKS_H
#define BPIO_STACKS_H

/* Stack traces of every thread of the process, for the SIGUSR1 dump. Each thread is
 * interrupted with BPIO_STACK_SIGNAL, records its own backtrace in its handler, and the caller
 * symbolizes them. Threads that block the signal, or do not answer within 200 ms, are reported
 * without frames. */

/* Installs the handler; call once, early (before loop threads start, which keep the signal
 * unblocked). Returns 0 or -1. */
int bpio_stacks_install(void);

/* Calls `frame` once per frame of every thread (depth 0 = innermost) with the thread id, its
 * name, and a symbolized frame ("binary(symbol+0x12) [0xaddr]"), or with frame NULL for a
 * thread whose stack could not be taken. Not async-signal-safe: call from a normal thread. */
void bpio_stacks_dump(void (*frame)(void *ctx, int tid, const char *thread_name, int depth,
                                    const char *text),
                      void *ctx);

#endif
