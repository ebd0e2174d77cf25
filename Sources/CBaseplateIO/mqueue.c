/* POSIX message queue wrappers (see bpio_mqueue.h). */
#include "bpio_mqueue.h"

#include <fcntl.h>
#include <mqueue.h>

int bpio_mq_open_writer(const char *name, long max_messages, long max_message_size) {
    struct mq_attr attr = {0};
    attr.mq_maxmsg = max_messages;
    attr.mq_msgsize = max_message_size;
    /* Linux makes queue descriptors close-on-exec itself (so --reload's exec leaks none). */
    mqd_t q = mq_open(name, O_CREAT | O_WRONLY | O_NONBLOCK, 0644, &attr);
    return q == (mqd_t)-1 ? -1 : (int)q;
}

int bpio_mq_send(int mqd, const void *message, size_t length) {
    return mq_send((mqd_t)mqd, (const char *)message, length, 0);
}

void bpio_mq_close(int mqd) { mq_close((mqd_t)mqd); }

int bpio_mq_unlink(const char *name) { return mq_unlink(name); }
