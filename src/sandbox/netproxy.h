/* mcpcage's side of network mode "filtered": the proxy process (net/proxy.h), forked in
 * the host's network namespace with the listening sockets the child handed over. It runs
 * as the server's user (root's mcpcage drops to it), without capabilities, no_new_privs,
 * not dumpable, and under Landlock read-only access to what name resolution reads (/etc,
 * /usr, /lib*, /run): a bug in the parser facing the server's requests reaches no file. It
 * dies with mcpcage (parent-death signal) and when the relay closes the event socket. */
#pragma once

#include <sys/types.h>

#include "net/plan.h"
#include "sandbox/identity.h"
#include "util/error.h"

/* fds: the listeners in net_plan_listener order (always closed here). On success *pid is
 * the proxy and *events the relay's end of the event socket (close-on-exec). */
int netproxy_start(const struct net_plan *plan, const struct identity *id, int *fds, size_t n,
                   pid_t *pid, int *events, struct mc_error *err);

/* Ends the proxy and reaps it; closes *events. */
void netproxy_stop(pid_t *pid, int *events);
