#include "bpio_random.h"

#include <sys/random.h>
#include <time.h>

static _Thread_local uint64_t state;

static void seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s) {
        /* Only before the kernel's pool is ready: time and a per-thread address will do. */
        s = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)&state;
    }
    state = s ? s : 0x2545F4914F6CDD1Dull; /* xorshift needs a nonzero state */
}

uint64_t bpio_random64(void)
{
    if (state == 0)
        seed();
    /* xorshift64* (Vigna): passes BigCrush's tests that matter for ids. */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Dull;
}
