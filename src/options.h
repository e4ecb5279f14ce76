/* The parsed command line of `mcpcage [OPTIONS] -- COMMAND [ARG...]`. Filled by main.c,
 * read by everything that orchestrates a session. Pointers borrow from argv. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct options {
        const char *policy;     /* -p/--policy FILE|NAME; NULL = built-in "default" */
        const char *name;       /* --name: the audit `server` field */
        const char *audit_log;  /* --audit-log FILE ("-" = stderr); NULL = the policy's */
        const char *isolation;  /* --isolation MODE / --no-sandbox ("none"); NULL = policy's */
        const char *user;       /* --user NAME|UID: root only, who the server runs as */
        const char **ro;        /* --ro PATH, n_ro of them */
        size_t n_ro;
        const char **rw;        /* --rw PATH */
        size_t n_rw;
        const char **grant;     /* --grant SCOPE */
        size_t n_grant;
        bool dry_run;           /* --dry-run: print the plan and exit 0 */
        int verbosity;          /* -1 quiet, 0 normal, 1 -v, 2 -vv */
        char **command;         /* NULL-terminated argv of the server */
        int n_command;
};
