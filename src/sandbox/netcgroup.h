/* network "host" with addresses in network.allow (policy.md; threats.md §1 "connect to any
 * address"): without a network namespace the kernel filters the server's connect() and
 * sendmsg() destinations instead, through the cgroup programs of src/bpf. mcpcage makes a
 * cgroup v2 directory below the child's own (so a cgroup mcpcage placed it in for its
 * limits keeps applying), moves the child in before releasing it, and attaches the
 * programs there; everything the server forks stays inside. */
#pragma once

#include <sys/types.h>

#include "net/plan.h"
#include "util/error.h"

struct netcgroup;

/* Is there anything for the programs to enforce (mode host, an address rule)? */
bool netcgroup_wanted(const struct net_plan *plan);

/* Parent, before the release: 0 with *out set, or -errno with err saying why. */
int netcgroup_attach(const struct net_plan *plan, pid_t child, struct netcgroup **out,
                     struct mc_error *err);

/* Its directory (removed by netcgroup_free), or NULL. */
const char *netcgroup_dir(const struct netcgroup *c);

/* Detaches, and removes the directory once the child is gone. NULL is a no-op. */
void netcgroup_free(struct netcgroup *c);
