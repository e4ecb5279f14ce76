/* The network proxy process (mode "filtered"): forked by mcpcage in the host's network
 * namespace, it serves the listening sockets the child opened inside its own namespace (an
 * HTTP proxy on 127.0.0.1:NET_PROXY_PORT, and one socket per forward) and connects out only
 * to what network.allow admits. It runs its own poll loop, so slow DNS never blocks the
 * relay, and reports every decision to the relay as a JSON line (net/events.h). */
#pragma once

#include <stddef.h>

#include "net/plan.h"

#define PROXY_MAX_CONNS 64

/* Serves until the relay closes events_fd. fds[0] is the proxy's listener, fds[1 + i]
 * forward i's (net_plan_listener order). Returns an exit status. */
int net_proxy_run(const struct net_plan *plan, const int *fds, size_t n, int events_fd);
