/* Small probes of what this kernel lets this user do, for doctor and the tests. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Can a child get the namespaces mcpcage uses and mount in them? 0, or the errno of the
 * step that failed with *step naming it ("clone", "uid_map", "mount"). When uid is not
 * (uid_t)-1 the probe runs as that user (root probing for unprivileged users). */
int probe_userns(uid_t uid, gid_t gid, const char **step);

/* An integer from a /proc/sys file; false when absent. */
bool probe_sysctl(const char *path, long *value);
