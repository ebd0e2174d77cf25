#ifndef BPIO_RANDOM_H
#define BPIO_RANDOM_H

#include <stdint.h>

/* A uniformly distributed 64-bit value from a per-thread xorshift generator seeded once per
 * thread from the system. For trace and span ids: a few instructions, where the system
 * generator costs a getrandom syscall per call. Not for secrets. */
uint64_t bpio_random64(void);

#endif
