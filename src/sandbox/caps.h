/* Dropping privilege in the child with libcap-ng: every capability (effective, permitted,
 * inheritable), the ambient set and, where CAP_SETPCAP allows it, the bounding set; and for
 * root, the change to the run user with its supplementary groups dropped. Without the
 * bounding set, a uid-0 process inside the namespace that execs gets nothing back. */
#pragma once

#include <stdbool.h>

#include "sandbox/identity.h"

/* Child side: 0 or -errno with *what naming the step. *bounding_dropped says whether the
 * bounding set could be emptied (it cannot without CAP_SETPCAP, i.e. unprivileged without a
 * user namespace, where no_new_privs makes it inert anyway). */
int caps_drop(const struct identity *id, bool change_id, bool *bounding_dropped, const char **what);
