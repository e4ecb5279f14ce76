/* The Landlock fallback's rules from filesystem.* (no mount namespace, so no tmpfs and no
 * masks: what the view would hide is simply not granted), and the list of what this mode
 * cannot enforce, said on stderr and in session_start.sandbox.degraded. */
#pragma once

#include "policy/policy.h"
#include "sandbox/mountplan.h"
#include "sandbox/landlock.h"
#include "sandbox/strlist.h"
#include "util/error.h"

/* home: the directories root "host" hides (NULL-terminated). plan->abi must be set. */
int fallback_plan_build(const struct policy *p, char *const *home, struct landlock_plan *plan,
                        struct strlist *degraded, struct mc_error *err);

/* The rules for Landlock inside the namespaces (require: ["landlock"]): the view is
 * already only what the policy lists, so read on /, read/write where the view is. */
int landlock_plan_for_view(const struct mount_plan *mounts, struct landlock_plan *plan);
