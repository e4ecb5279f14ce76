/* The policy layer: load, merge (extends), expand variables, validate and intersect with the
 * system ceiling. Consumers read the effective policy as a validated jansson tree: every key
 * of policy.md is present (defaults filled in), every type checked, every variable expanded,
 * so a consumer trusts the shape and never re-validates. Units stay as strings in the tree;
 * parse them with the policy_parse_* helpers (the same ones the validator used). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "util/error.h"

/* The most patterns mcp.redact.custom may name (the redactor keeps one slot each). */
#define POLICY_REDACT_CUSTOM_MAX 64

struct policy {
        json_t *root;        /* effective policy (owned) */
        char *name;          /* "default", the NAME given, or the file's basename without .json */
        char *path;          /* file it came from, or "<built-in>" */
        char sha256[65];     /* hex SHA-256 of the canonical (sorted, compact) dump of root */
        /* Private to the policy layer: the merged layers before defaults and the ceiling
         * (all layers, and only those read from files), kept so policy_apply_cli can redo
         * defaults, validation and the ceiling on top of the command-line additions. */
        json_t *merged, *written;
};

/* Where names are looked up and what variables expand to. policy_env_from_process() fills
 * it from the real environment; tests fill it by hand. Strings are owned by the struct. */
struct policy_env {
        char *home, *user, *uid, *cwd, *tmpdir;
        char *xdg_config_home, *xdg_state_home, *xdg_cache_home, *xdg_runtime_dir;
        char *search_path[4];   /* NULL-terminated: $XDG_CONFIG_HOME/mcpcage/policies,
                                 * /etc/mcpcage/policies, <datadir>/mcpcage/policies */
        char *ceiling;          /* /etc/mcpcage/ceiling.json, or NULL for none */
};

int policy_env_from_process(struct policy_env *env, struct mc_error *err);
void policy_env_clear(struct policy_env *env);

/* name_or_path: NULL for the built-in default; a string containing '/' or ending in
 * ".json" is a path; anything else is a name looked up on env->search_path (the name
 * "default" falls back to the built-in one when no file shadows it). */
int policy_load(const char *name_or_path, const struct policy_env *env, struct policy **out,
                struct mc_error *err);
void policy_free(struct policy *p);

/* Command-line additions: --ro/--rw add to filesystem.read_only/read_write AND to
 * mcp.paths.read/write; --grant adds to mcp.scopes; --audit-log replaces audit.file;
 * --isolation replaces isolation. Re-validates and recomputes sha256. The ceiling still
 * applies: an addition the ceiling forbids is an error. */
struct policy_cli {
        const char **ro; size_t n_ro;
        const char **rw; size_t n_rw;
        const char **grant; size_t n_grant;
        const char *audit_log;
        const char *isolation;
};
int policy_apply_cli(struct policy *p, const struct policy_cli *cli, const struct policy_env *env,
                     struct mc_error *err);

/* Borrowed lookup by JSON pointer ("/network/mode"); NULL when absent. */
json_t *policy_get(const struct policy *p, const char *pointer);
/* The same on any tree, for consumers that walk sub-objects. */
json_t *json_pointer_get(json_t *root, const char *pointer);

/* Units of policy.md. Return 0 or -EINVAL. */
int policy_parse_size(const char *s, uint64_t *bytes);         /* "512M", "2G", "4096" */
int policy_parse_time(const char *s, uint64_t *ms);            /* "500ms", "30s", "5m", "0" */
int policy_parse_rate(const char *s, uint64_t *count, uint64_t *per_ms); /* "60/min", "5/s" */

/* Subcommands (print to stdout: these are not protocol sessions). Return an exit code. */
int policy_cmd_check(const char *name_or_path, const struct policy_env *env);
int policy_cmd_list(const struct policy_env *env);
