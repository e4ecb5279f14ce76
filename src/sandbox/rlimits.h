/* limits.open_files and limits.file_size (policy.md) as rlimits on the server. They only
 * ever lower a limit: a hard limit above the current one would need privilege, and the
 * policy can only narrow what the server gets. */
#pragma once

#include <stdbool.h>
#include <sys/resource.h>

#include "policy/policy.h"
#include "util/error.h"

struct rlimits_plan {
        bool nofile_set, fsize_set;
        rlim_t nofile, fsize;
        /* The fallbacks for limits no cgroup enforces (limits.c): memory as RLIMIT_DATA,
         * pids as RLIMIT_NPROC (counted in the server's own user namespace), cpu as
         * RLIMIT_CPU seconds. */
        bool data_set, nproc_set, cpu_set;
        rlim_t data, nproc, cpu;
};

int rlimits_from_policy(const struct policy *p, struct rlimits_plan *out, struct mc_error *err);

/* In the child before exec: 0 or -errno (the caller dies with the message). */
int rlimits_apply(const struct rlimits_plan *r, const char **what);
