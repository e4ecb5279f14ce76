/* `mcpcage wrap` / `mcpcage unwrap`: put every stdio server of a Claude Desktop
 * configuration under mcpcage, and take it out again.
 *
 * A wrapped entry keeps every key it had; only "command" and "args" change:
 *
 *     "command": "/usr/local/bin/mcpcage",
 *     "args": ["--name", ENTRY, "--policy", POLICY, ["--rw", DIR]...,
 *              ["--original-command", NAME], ["--original-without-args"],
 *              "--", COMMAND, ARG...]
 *
 * Everything after "--" is the original command and arguments, with a bare command name
 * replaced by its absolute path (the desktop app replaces PATH, so "npx" would not be found
 * there). What unwrap needs beyond that is recorded in the two --original-* options, so
 * unwrap restores the entry exactly from the entry alone, without the backup. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "policy/policy.h"
#include "util/error.h"

struct wrap_options {
        const char *mcpcage;            /* absolute path written as "command" */
        const char *path;               /* PATH that bare command names are looked up on */
        const struct policy_env *env;   /* the policy search path; policies are loaded with
                                         * it to check what their env.pass lets through */
        const char *const *overrides;   /* "ENTRY=POLICY" (--policy), n_overrides of them */
        size_t n_overrides;
};

enum wrap_outcome {
        WRAP_WRAPPED,           /* rewritten to run under mcpcage */
        WRAP_ALREADY,           /* already runs under mcpcage: left as is */
        WRAP_REMOTE,            /* an HTTP/SSE server: nothing to confine here, left as is */
        WRAP_NOT_WRAPPED,       /* a stdio server that could not be wrapped, or (unwrap) a
                                 * wrapped one that could not be restored: detail says why */
        WRAP_UNWRAPPED,         /* unwrap: restored */
        WRAP_NOT_MCPCAGE,       /* unwrap: not under mcpcage, left as is */
};

struct wrap_note {
        char *entry;            /* the server's name in mcpServers */
        enum wrap_outcome outcome;
        char *detail;           /* policy and command, the URL, or the reason */
        char *warning;          /* something the user should check, or NULL */
};

struct wrap_report {
        struct wrap_note *notes;
        size_t n;
};

void wrap_report_free(struct wrap_report *r);
/* Number of notes with this outcome. */
size_t wrap_report_count(const struct wrap_report *r, enum wrap_outcome outcome);

/* Rewrite config (the whole parsed file) in place. Errors (nothing usable was changed,
 * the caller must not write): mcpServers not an object, an override naming no entry or a
 * policy that does not exist. An entry that cannot be wrapped is a WRAP_NOT_WRAPPED note,
 * not an error. Wrapping a wrapped config changes nothing. */
int wrap_config(json_t *config, const struct wrap_options *o, struct wrap_report *r,
                struct mc_error *err);
/* The inverse: every entry under mcpcage gets back its original command and args. */
int unwrap_config(json_t *config, const struct wrap_options *o, struct wrap_report *r,
                  struct mc_error *err);

/* The subcommands; argv[0] is "wrap" / "unwrap"; dry_run: a --dry-run given before the
 * subcommand (`mcpcage --dry-run wrap` must not write either). Print to stdout (not a
 * protocol session). Exit status 0, 1 when a server was left unchanged, 125 on error. */
int wrap_cmd(int argc, char **argv, bool dry_run);
int unwrap_cmd(int argc, char **argv, bool dry_run);
