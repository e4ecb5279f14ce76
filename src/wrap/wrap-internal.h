/* Shared between the files of src/wrap/; nothing outside the folder includes this. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <jansson.h>

#include "util/buf.h"
#include "util/error.h"

/* resolve.c: a bare command name looked up on `path` like execvp (absolute directories
 * only: a relative one would mean the desktop app's working directory); *out is malloc'd.
 * -ENOENT when nothing executable is found. */
int wrap_resolve_command(const char *name, const char *path, char **out, struct mc_error *err);
/* Whether NAME.json is on the policy search path ("default" always is: it is built in). */
bool wrap_policy_exists(const char *name, char *const *dirs);
/* A --policy value: a name that must exist on the search path, or a path (contains '/' or
 * ends in .json) made absolute, since the desktop app starts mcpcage in its own cwd. */
int wrap_policy_ref(const char *ref, char *const *dirs, char **out, struct mc_error *err);

/* match.c: which shipped policy fits a server. */
struct wrap_match {
        char *policy;           /* malloc'd: a policy name that exists, else "default" */
        ssize_t dirs_from;      /* server-filesystem: index in args of the first of the
                                 * directories it may read and write; -1 for others */
};
int wrap_match(const char *command, json_t *args, char *const *dirs, struct wrap_match *m,
               struct mc_error *err);

/* entry.c: how an mcpServers entry looks. */
bool wrap_is_mcpcage(const char *command, const char *mcpcage);
/* A remote server (url, or a type other than stdio); *what is its URL or type. */
bool wrap_is_remote(json_t *entry, const char **what);
/* Index of the "--" ending mcpcage's own options in a wrapped entry's args, or -1. */
ssize_t wrap_separator(json_t *args);
/* Restore a wrapped entry's original command and args; -EINVAL with err when the entry
 * does not say what it ran (no "--"). */
int wrap_unwrap_entry(json_t *entry, struct mc_error *err);

/* diff.c: a unified-style line diff of two texts (3 lines of context). */
int wrap_diff(const char *before, const char *after, const char *label_before,
              const char *label_after, FILE *out);

/* configfile.c */
int wrap_default_config_path(const char *xdg_config_home, const char *home, char **out);
struct wrap_file {
        char *path;             /* the real path (symlinks resolved): the file replaced */
        struct buf bytes;       /* the file as read, for the backup */
        struct stat st;
        json_t *tree;
};
int wrap_file_read(const char *path, struct wrap_file *f, struct mc_error *err);
void wrap_file_clear(struct wrap_file *f);
/* CONFIG.mcpcage-backup, or CONFIG.mcpcage-backup.YYYYmmdd-HHMMSS[-N] when that exists
 * (the first backup is the file before mcpcage ever touched it: never overwritten). */
int wrap_file_backup(const struct wrap_file *f, char **backup, struct mc_error *err);
/* Replace the file atomically (temp file in the same directory, fsync, rename), keeping
 * its mode and, when root runs this, its owner. */
int wrap_file_replace(const struct wrap_file *f, const char *text, struct mc_error *err);
/* The text written: 2-space indentation, keys in their order, a final newline. */
char *wrap_dump(json_t *tree);
