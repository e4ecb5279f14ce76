/* The two halves of the relay's confinement (selfconfine.h), one file each. */
#pragma once

#include <stddef.h>

#include "relay/selfconfine.h"
#include "util/error.h"

/* The allow-list as a libseccomp context (scmp_filter_ctx), not loaded. -EOPNOTSUPP when
 * this kernel (or valgrind) has no seccomp(2); err says why. */
int selfconfine_seccomp_build(void **filter, size_t *n_syscalls, struct mc_error *err);
/* Loads it: 0 or -errno. */
int selfconfine_seccomp_load(void *filter);
void selfconfine_seccomp_free(void *filter);
/* The name of a refused syscall the SIGSYS handler can print (async-signal-safe: a table
 * lookup), or NULL. */
const char *selfconfine_syscall_name(long nr);

/* The ruleset for cfg under this ABI (>= 1): its fd (close-on-exec) and how many rules. */
int selfconfine_landlock_build(const struct selfconfine_config *cfg, int abi, int *fd, size_t *n_rules,
                               struct mc_error *err);
