/* network.* on mcpcage's side, before clone(): the plan (net/plan.h), the proxy variables
 * of the server's environment, and what the Landlock fallback (no network namespace) can
 * still keep of the mode:
 *   none      TCP refused by Landlock (ABI 4), other families by seccomp;
 *   filtered  the proxy listens on the host's 127.0.0.1 (an ephemeral port) and Landlock
 *             lets TCP connect only to that port and bind nowhere; forwards need a
 *             namespace to listen in and are not available;
 *   host      with network.allow, TCP connect only to the ports it lists;
 *   loopback  not enforceable (the host's network is reachable): said as degraded.
 * A policy that requires "network-filter" refuses to start in the fallback. */
#pragma once

#include "net/plan.h"
#include "policy/policy.h"
#include "sandbox/landlock.h"
#include "sandbox/strlist.h"
#include "util/error.h"

/* env: the server's environment (NULL with isolation none); degraded: what the mode cannot
 * keep (names in network.allow under mode host: only addresses are filtered there). */
int network_prepare(const struct policy *p, struct net_plan *plan, struct strlist *env,
                    struct strlist *degraded, struct mc_error *err);

/* ll->abi must be set. *proxy_fd: the proxy's listener on the host (mode filtered), or -1. */
int network_fall_back(const struct policy *p, struct net_plan *plan, struct landlock_plan *ll,
                      struct strlist *env, struct strlist *degraded, int *proxy_fd,
                      struct mc_error *err);

/* Whether the policy lists feature under "require". */
bool network_required(const struct policy *p, const char *feature);
