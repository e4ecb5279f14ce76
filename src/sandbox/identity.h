/* Who the server runs as, and the user namespace maps that make it so.
 *
 * Unprivileged: the caller's uid/gid are mapped to themselves (one line each, the only map an
 * unprivileged process may write) with setgroups denied, so the server is the user it
 * always was, minus every capability. Root: the server runs as a named user, by default
 * nobody: a root-owned server would still own /etc/shadow, the host keys and every other
 * root-only file the read-only view shows (threats.md §1 "read /etc/shadow"), capabilities
 * or not. The same clone() and the same steps run in both cases; only the maps differ. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

#define IDENTITY_DEFAULT_ROOT_USER "nobody"

struct identity {
        bool privileged;        /* mcpcage runs with euid 0 */
        uid_t outer_uid;        /* mcpcage's euid/egid */
        gid_t outer_gid;
        uid_t run_uid;          /* the server's uid/gid (inside == outside: maps are 1:1) */
        gid_t run_gid;
        char name[64];          /* the run user's name, for messages and the report */
};

/* user: NULL for the default (root: nobody; others: themselves), a name or a number. Only
 * root may name a user other than itself. */
int identity_resolve(const char *user, struct identity *id, struct mc_error *err);

/* Parent, right after clone(CLONE_NEWUSER): write the child's maps. */
int identity_write_maps(pid_t child, const struct identity *id, struct mc_error *err);

/* Does the server change uid/gid (root running it as another user)? */
static inline bool identity_changes(const struct identity *id)
{
        return id->run_uid != id->outer_uid || id->run_gid != id->outer_gid;
}
