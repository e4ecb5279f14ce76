/* What the session reads from the effective policy for itself, shared by session.c and
 * dryrun.c (the plan shows exactly what a run would use). */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "options.h"
#include "policy/policy.h"
#include "util/error.h"

#define SESSION_DEFAULT_MESSAGE_BYTES (16u * 1024 * 1024)
#define SESSION_DEFAULT_GRACE_MS 2000u

struct session_settings {
        uint64_t message_bytes;         /* mcp.limits.message_bytes */
        uint64_t shutdown_grace_ms;     /* limits.shutdown_grace */
        uint64_t wall_time_ms;          /* limits.wall_time, 0 = never */
};

int session_settings_read(const struct policy *p, struct session_settings *s,
                          struct mc_error *err);

/* --dry-run: the plan on `out` (stdout: a dry run is not a protocol session). Returns the
 * exit status. The sandbox issue extends it with the mount plan. */
int dryrun_print(FILE *out, const struct policy *p, const struct options *o,
                 const struct session_settings *s, const json_t *not_enforced);
