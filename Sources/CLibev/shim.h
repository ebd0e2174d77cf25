/* Debian's libev-dev ships no pkg-config file: the module map links "ev" by name. */
#include <ev.h>
