/* The child's network namespace (network.mode): "none" leaves it empty (lo down: nothing,
 * not even loopback, answers); "loopback" and "filtered" bring lo up; "filtered" also opens
 * the listening sockets of the proxy and the forwards on the namespace's loopback and hands
 * them to mcpcage over the sync socket, which serves them from the host's namespace
 * (sandbox/netproxy.h). The server is exec'd only after this, so a connection it makes at
 * once finds the listener there (the kernel queues it until the proxy accepts). */
#pragma once

#include "net/plan.h"

/* Child side, in the new namespaces, before capabilities are dropped; dies on failure. */
void netns_enter(const struct net_plan *plan);
