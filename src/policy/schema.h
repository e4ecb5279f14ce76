/* The policy format as data: one table per JSON object of policy.md, walked by
 * validate.c. Adding a key to the format is adding one line here (and to the man page). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "util/error.h"
#include "policy/policy-internal.h"

enum schema_kind {
        S_OBJECT,       /* fixed keys: fields */
        S_MAP,          /* free keys (checked by key_check), values: item */
        S_LIST,         /* array of item */
        S_STRING,       /* any string, then string_check */
        S_ENUM,         /* one of choices */
        S_BOOL,
        S_VERSION,      /* the integer 1 */
        S_POS_INT,      /* integer > 0 */
        S_POS_NUMBER,   /* integer or real > 0 */
        S_SIZE,         /* "512M" > 0 */
        S_TIME,         /* "30s", "0" */
        S_RATE,         /* "60/min" */
        S_TOOL_RULE,    /* "allow" | "deny" | object: fields */
};

struct vctx {
        const char *file;
        bool effective;
        struct ptr at;
        struct mc_error *err;
};

struct field;

struct schema {
        enum schema_kind kind;
        bool nullable;
        const char *const *choices;
        const struct field *fields;
        const struct schema *item;
        /* extra checks: NULL or a reason (why is scratch space for it) */
        const char *(*key_check)(const char *key, char *why, size_t n);
        const char *(*string_check)(const char *s, char *why, size_t n);
        int (*node_check)(struct vctx *c, json_t *v);   /* after the type checks */
};

struct field {
        const char *name;
        const struct schema *schema;
        bool file_only;         /* may be absent from the effective tree (extends) */
        bool required;          /* required in every file too (version) */
};

extern const struct schema policy_schema;
int policy_vfail(struct vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
