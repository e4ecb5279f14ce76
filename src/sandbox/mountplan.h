/* The filesystem view as a list of mount operations, computed by the parent before clone()
 * from filesystem.* (policy.md): every path resolved on the host, every missing path found,
 * every option string formatted. The child (mounts.c) only executes the list, in order, so
 * a path that cannot be mounted is an error here, with the policy key that named it, not a
 * surprise half way through building the root. Also what --dry-run prints. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "policy/policy.h"
#include "sandbox/identity.h"
#include "sandbox/strlist.h"
#include "util/error.h"

enum mount_kind {
        MOUNT_HOST_ROOT,        /* the host's / at /, recursively read-only (root "host") */
        MOUNT_EMPTY_ROOT,       /* a small tmpfs at /, read-only once built (root "empty") */
        MOUNT_PROC,             /* a fresh proc for the new pid namespace */
        MOUNT_DEV,              /* the minimal /dev */
        MOUNT_BIND_RO,
        MOUNT_BIND_RW,
        MOUNT_TMPFS,
        MOUNT_MASK_DIR,         /* an empty read-only tmpfs nobody may enter */
        MOUNT_MASK_FILE,        /* /dev/null bound nodev: opening it is EACCES */
        MOUNT_SYMLINK,          /* a link on the way to a listed path, recreated inside */
};

struct mount_op {
        enum mount_kind kind;
        char *target;           /* absolute path in the view */
        char *source;           /* host path (binds) or the link text (symlinks) */
        bool source_is_dir;     /* binds: create a directory (else a file) as mount point */
        char *origin;           /* the policy key that asked for it ("/filesystem/tmpfs/0") */
        char data[128];         /* tmpfs options */
};

struct mount_plan {
        struct mount_op *ops;
        size_t n;
        bool host_root;
        char *workdir;          /* absolute path in the view */
        struct strlist notes;   /* optional entries skipped and why, masks not in the view */
};

/* home: the user's home directory(ies) that root "host" hides (NULL-terminated). */
int mount_plan_build(const struct policy *p, const struct identity *id, char *const *home,
                     struct mount_plan *out, struct mc_error *err);
void mount_plan_clear(struct mount_plan *plan);

const char *mount_kind_name(enum mount_kind k);
void mount_plan_print(const struct mount_plan *plan, FILE *out);

/* The view as (path, writable) pairs for Landlock and for the workdir check. */
bool mount_plan_visible(const struct mount_plan *plan, const char *path);
