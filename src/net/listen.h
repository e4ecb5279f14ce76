/* The child's side of the network setup, inside its new network namespace and before it
 * drops its capabilities there: lo up, and the listening sockets the proxy and the forwards
 * will serve. Plain syscalls, no allocation (the child runs them between clone and exec). */
#pragma once

#include "net/plan.h"

/* Brings lo up (SIOCSIFFLAGS, no `ip` binary in the view). 0 or -errno. */
int net_lo_up(void);

/* A listening TCP socket on e: close-on-exec, non-blocking. The fd, or -errno. */
int net_listen(const struct net_endpoint *e);
