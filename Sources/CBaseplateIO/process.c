/* Process facts for the runtime monitor (see bpio_process.h). */
#define _GNU_SOURCE
#include "bpio_process.h"

#include <malloc.h>
#include <pthread.h>
#include <string.h>

size_t bpio_heap_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks;
}

void bpio_thread_set_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = '\0';
    pthread_setname_np(pthread_self(), truncated);
}
