/* Shared by the two halves of the ceiling intersection (ceiling.c, ceiling-lists.c). */
#pragma once

#include <stdbool.h>
#include <jansson.h>

#include "policy/policy-internal.h"

struct cctx {
        json_t *eff;            /* effective user policy, narrowed in place */
        json_t *written;        /* what the user's files and command line wrote */
        json_t *ceil;           /* the ceiling as written (no defaults: absent = no constraint) */
        const char *cfile;
        const char *home;
        struct mc_error *err;
};

/* "<ceiling>: <pointer>: <reason>" */
int policy_ceiling_violation(struct cctx *c, const char *pointer, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Was this value (at pointer in the effective tree) written by the user, not defaulted? */
bool policy_ceiling_written(struct cctx *c, const char *pointer, json_t *value);

int policy_ceiling_lists(struct cctx *c);     /* subset and union rules */
int policy_ceiling_tools(struct cctx *c);
int policy_ceiling_scopes(struct cctx *c);
