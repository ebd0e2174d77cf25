#ifndef BPIO_MQUEUE_H
#define BPIO_MQUEUE_H

#include <stddef.h>

/* POSIX message queues for the trace sidecar. mq_open is variadic, which Swift cannot call. */

/* Opens (creating it if missing, mode 0644) the queue `name` for non-blocking writes, with
 * `max_messages` and `max_message_size` used only when it is created. Returns the descriptor, or
 * -1 with errno set. */
int bpio_mq_open_writer(const char *name, long max_messages, long max_message_size);

/* Sends one message at priority 0 without blocking. Returns 0, or -1 with errno set (EAGAIN
 * when the queue is full, EMSGSIZE when the message exceeds the queue's size). */
int bpio_mq_send(int mqd, const void *message, size_t length);

void bpio_mq_close(int mqd);

/* Removes the queue's name (tests; a sidecar owns its queue). Returns 0 or -1 with errno. */
int bpio_mq_unlink(const char *name);

#endif
