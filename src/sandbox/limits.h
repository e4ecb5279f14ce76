/* limits.memory, pids and cpu for one launch: a cgroup when one can be made (cgroup.h), else
 * rlimits, and what neither covers said as degraded (policy.md "limits"). */
#pragma once

#include "sandbox/setup.h"

/* Before clone(): creates the cgroup (s->cgroup) or fills the rlimit fallbacks of
 * s->rlimits, and adds the degraded reasons. A policy that lists "cgroup" under require is
 * refused when no cgroup can be made. */
int limits_prepare(struct sandbox_setup *s, const struct policy *p, struct mc_error *err);

/* session_start.sandbox.limits: {"memory": "cgroup v1"|"rlimit"|null, "pids", "cpu"}. */
json_t *limits_report_json(const struct sandbox_setup *s);
