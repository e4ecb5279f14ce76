/* What the policy asks for that this build does not enforce yet. mcpcage never silently
 * ignores a policy key: the launch says on stderr what is not enforced and session_start
 * records it (sandbox.not_enforced). Each issue that enforces a feature deletes its line
 * from the table in enforcement.c. */
#pragma once

#include <jansson.h>

#include "policy/policy.h"
#include "util/error.h"

/* A new JSON array of labels ("network.mode none", "limits.memory", ...) in table order;
 * NULL on ENOMEM. */
json_t *enforcement_not_enforced(const struct policy *p);

/* Fail closed on `require`: a feature the policy requires that this build cannot provide is
 * an error (design.md: such a policy "refuses to start instead"). 0 or -ENOTSUP. */
int enforcement_check_require(const struct policy *p, struct mc_error *err);

/* "a, b, c" for one stderr line; caller frees. NULL on ENOMEM. */
char *enforcement_join(const json_t *labels);
