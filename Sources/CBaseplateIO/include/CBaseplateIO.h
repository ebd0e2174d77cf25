#ifndef CBASEPLATEIO_H
#define CBASEPLATEIO_H

/* The C core of Baseplate for Swift: event loops, connections, Thrift framing.
 * Every exported symbol carries the bpio_ prefix. */

#include "bpio_buf.h"
#include "bpio_frame.h"
#include "bpio_server.h"
#include "bpio_client.h"
#include "bpio_stacks.h"
#include "bpio_random.h"
#include "bpio_timer.h"
#include "bpio_process.h"
#include "bpio_mqueue.h"

#endif
