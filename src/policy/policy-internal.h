/* Declarations shared by the files of the policy layer only. Consumers use policy.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "policy/policy.h"
#include "util/error.h"

#include "util/cleanup.h"

#define POLICY_BUILTIN_PATH "<built-in>"
#define POLICY_MAX_DEPTH 16     /* extends nesting; deeper chains are refused */

/* ---- pointer.c: JSON pointers built while walking a tree (RFC 6901 escaping) ---- */
struct ptr {
        char s[512];
        size_t len;
};
/* Append "/key" (escaped); returns the old length for ptr_pop(). */
size_t policy_ptr_push(struct ptr *p, const char *key);
size_t policy_ptr_push_index(struct ptr *p, size_t index);
static inline void ptr_pop(struct ptr *p, size_t old) { p->len = old; p->s[old] = '\0'; }
static inline const char *ptr_str(const struct ptr *p) { return p->len ? p->s : "/"; }

/* ---- paths.c: lexical path checks shared by validation, defaults and the ceiling ---- */
/* "?/path" (optional bind) -> "/path"; other strings unchanged. */
const char *policy_path_strip_optional(const char *s);
/* true when path equals root or lies below it (both absolute and normalised). */
bool policy_path_is_under(const char *path, const char *root);
/* NULL when s is an absolute, normalised path; else why not. */
const char *policy_path_check_absolute(const char *s);

/* ---- read.c: one file to one tree ---- */
/* Reads path with duplicate keys rejected; syntax errors as "<file>:<line>:<col>: <text>".
 * root_owned: refuse unless the file is owned by root and not group/other writable. */
int policy_read_file(const char *path, bool root_owned, json_t **out, struct mc_error *err);
int policy_read_builtin(json_t **out, struct mc_error *err);
extern const char policy_builtin_default_json[];   /* generated from policies/default.json */

/* ---- search.c: names and paths to files ---- */
/* Resolves a policy reference. base_dir: directory relative paths resolve against (NULL:
 * the current directory). *path is POLICY_BUILTIN_PATH for the built-in default. */
int policy_resolve(const char *ref, const char *base_dir, const struct policy_env *env,
                   char **path, char **name, struct mc_error *err);
bool policy_name_valid(const char *name);

/* ---- vars.c: ${VAR} and ~/ expansion in every string value ---- */
struct policy_vars {
        const struct policy_env *env;
        const char *policy_dir;         /* NULL for the built-in policy */
        bool ceiling;                   /* only variables the user cannot steer */
};
int policy_expand_string(const char *s, const struct policy_vars *v, char **out,
                         char *why, size_t why_len);
int policy_expand_tree(json_t *tree, const char *file, const struct policy_vars *v,
                       struct mc_error *err);

/* ---- validate.c / values.c: the schema walk ---- */
/* effective: every key must be present (the tree after defaults). */
int policy_validate(json_t *tree, const char *file, bool effective, struct mc_error *err);
/* Checks across keys on the merged tree (implies cycles, forward targets). */
int policy_validate_cross(json_t *tree, const char *file, struct mc_error *err);
/* Single-value checks; each returns NULL or a reason written to why. */
const char *policy_value_check_syscall(const char *s, char *why, size_t n);
const char *policy_value_check_regex(const char *s, char *why, size_t n);
enum endpoint_form {
        EP_PATTERN,     /* network.allow: names, "*.name", CIDR, port "*" */
        EP_ADDRESS,     /* forward listen side: one IP address and a port number */
        EP_TARGET,      /* forward target: one host (name or address) and a port number */
};
const char *policy_value_check_endpoint(const char *s, enum endpoint_form form, char *why, size_t n);
const char *policy_value_check_env_name(const char *s, bool glob);
const char *policy_value_check_pointer(const char *s);
/* Does the allow entry cover endpoint "host:port"? (forward targets, ceiling) */
bool policy_endpoint_covered(const char *entry, const char *endpoint);

/* ---- merge.c ---- */
void policy_merge(json_t *dst, json_t *src, struct ptr *at);
void policy_json_array_append_unique(json_t *arr, json_t *item);

/* ---- extends.c: a file and its ancestors to one merged tree ---- */
/* *merged: every layer; *written: only layers read from files (not the built-in default),
 * so the ceiling can tell a user's choice from a product default. */
int policy_load_layers(const char *path, const struct policy_env *env, json_t **merged,
                       json_t **written, struct mc_error *err);

/* ---- defaults.c ---- */
int policy_fill_defaults(json_t *merged, const struct policy_env *env, json_t **effective,
                         struct mc_error *err);
const char *policy_default_action(const char *profile);

/* ---- ceiling.c ---- */
/* *ceiling = NULL when env->ceiling is unset or the file does not exist. */
int policy_ceiling_load(const struct policy_env *env, json_t **ceiling, struct mc_error *err);
int policy_ceiling_apply(json_t *effective, json_t *written, json_t *ceiling,
                         const char *ceiling_path, const struct policy_env *env,
                         struct mc_error *err);

/* ---- policy.c ---- */
int policy_finish(struct policy *p, const struct policy_env *env, struct mc_error *err);
