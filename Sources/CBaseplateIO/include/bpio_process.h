#ifndef BPIO_PROCESS_H
#define BPIO_PROCESS_H

#include <stddef.h>

/* Process facts for the runtime monitor that need GNU extensions Swift cannot import. */

/* Bytes malloc has handed out and not had back (glibc's mallinfo2().uordblks). */
size_t bpio_heap_in_use(void);
/* Names the calling thread (at most 15 bytes are kept), as ps and thread dumps show it. */
void bpio_thread_set_name(const char *name);

#endif
