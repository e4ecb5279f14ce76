/* Building the root of the view in the child (pid 1 of the new namespaces), from the plan
 * the parent computed. Every failure dies with the step, the path and the reason. */
#pragma once

#include <stdbool.h>

#include "sandbox/mountplan.h"

/* The mount namespace is private, the plan applied under a staging tmpfs, /proc fresh,
 * /dev minimal; then pivot_root and the host's root detached: after this nothing of the
 * host is reachable but what the plan bound. dev_shm_data: tmpfs options of /dev/shm. */
void mounts_build_root(const struct mount_plan *plan, const char *dev_shm_data, bool legacy);
