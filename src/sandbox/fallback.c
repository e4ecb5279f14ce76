#include "sandbox/fallback.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sandbox/resolve.h"
#include "util/cleanup.h"

/* Devices a server may need, as the minimal /dev of the namespaces has them. */
static const struct { const char *path; enum landlock_grant grant; } DEVICES[] = {
        { "/dev/null", LANDLOCK_DEVICE_RW }, { "/dev/zero", LANDLOCK_DEVICE_RW },
        { "/dev/full", LANDLOCK_DEVICE_RW }, { "/dev/tty", LANDLOCK_DEVICE_RW },
        { "/dev/random", LANDLOCK_READ }, { "/dev/urandom", LANDLOCK_READ },
        { "/dev/pts", LANDLOCK_DEVICE_RW }, { "/dev/ptmx", LANDLOCK_DEVICE_RW },
        /* The server's own processes; Landlock refuses access to other processes' files
         * that need ptrace rights (environ, mem, fd) outside its domain. */
        { "/proc", LANDLOCK_READ },
};

/* What root "host" does not grant as a whole: /run (the host's sockets), /dev (every device
 * and the host's /dev/shm; the devices a server needs are granted one by one above). */
static const char *const HOST_ROOT_HIDDEN[] = { "/run", "/dev", NULL };

/* Grant dir except the holes under it: Landlock rules only add, so a hole inside a granted
 * tree is made by granting each sibling on the way down instead. Symlinks are skipped:
 * a rule on one would grant its target, wherever that is. */
static int grant_minus(struct landlock_plan *plan, const char *dir, enum landlock_grant g,
                       const struct strlist *holes, struct mc_error *err)
{
        bool below = false;
        for (size_t i = 0; i < holes->n; i++) {
                /* A listed path deeper than a hole is applied after it (policy.md's order):
                 * only a hole at or below dir cuts it. */
                if (!strcmp(dir, holes->v[i]))
                        return 0;
                if (path_under(holes->v[i], dir))
                        below = true;
        }
        if (!below)
                return landlock_plan_add(plan, dir, g) < 0 ? mc_error_set(err, ENOMEM, "out of memory") : 0;
        DIR *d = opendir(dir);
        if (!d)
                return mc_error_errno(err, errno, "landlock: listing %s", dir);
        int r = 0;
        struct dirent *e;
        while (r == 0 && (e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                char child[PATH_MAX];
                snprintf(child, sizeof(child), "%s/%s", strcmp(dir, "/") ? dir : "", e->d_name);
                struct stat st;
                if (lstat(child, &st) < 0 || S_ISLNK(st.st_mode))
                        continue;
                r = grant_minus(plan, child, g, holes, err);
        }
        closedir(d);
        return r;
}

static int add_real(struct strlist *l, const char *path, bool *exists, struct mc_error *err)
{
        struct resolved r;
        int rc = resolve_path(path, &r, err);
        if (rc < 0)
                return rc;
        *exists = r.exists;
        if (r.exists && strlist_add(l, r.real) < 0)
                rc = mc_error_set(err, ENOMEM, "out of memory");
        resolved_clear(&r);
        return rc;
}

static int collect_holes(const struct policy *p, char *const *home, bool host_root,
                         struct strlist *holes, struct strlist *degraded, struct mc_error *err)
{
        json_t *fs = json_object_get(p->root, "filesystem");
        bool exists;
        int r = 0;
        for (char *const *h = home; r == 0 && host_root && h && *h; h++)
                if (**h == '/' && strcmp(*h, "/"))
                        r = add_real(holes, *h, &exists, err);
        for (const char *const *h = HOST_ROOT_HIDDEN; r == 0 && host_root && *h; h++)
                r = add_real(holes, *h, &exists, err);
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(fs, "mask"), i, e)
                if (r == 0)
                        r = add_real(holes, json_string_value(e), &exists, err);
        json_array_foreach(json_object_get(fs, "tmpfs"), i, e) {
                if (r == 0)
                        r = add_real(holes, json_string_value(e), &exists, err);
                if (r == 0 && strlist_addf(degraded, "filesystem.tmpfs %s: no private tmpfs without a "
                                           "mount namespace; not available to the server",
                                           json_string_value(e)) < 0)
                        r = mc_error_set(err, ENOMEM, "out of memory");
        }
        return r;
}

static int grant_list(struct landlock_plan *plan, json_t *list, const char *key, enum landlock_grant g,
                      const struct strlist *holes, const char *file, struct mc_error *err)
{
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e) {
                const char *text = json_string_value(e);
                bool optional = text[0] == '?';
                struct resolved r;
                int rc = resolve_path(optional ? text + 1 : text, &r, err);
                if (rc < 0)
                        return mc_error_prefix(err, "%s: /filesystem/%s/%zu", file, key, i);
                if (!r.exists && !optional)
                        rc = mc_error_set(err, ENOENT, "%s: /filesystem/%s/%zu: %s: No such file or "
                                          "directory (write \"?%s\" to make it optional)", file, key, i,
                                          text, text);
                else if (r.exists)
                        rc = grant_minus(plan, r.real, g, holes, err);
                resolved_clear(&r);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

static int degraded_common(const struct policy *p, const struct landlock_plan *plan,
                           struct strlist *degraded)
{
        const char *net = json_string_value(json_pointer_get(p->root, "/network/mode"));
        int r = strlist_add(degraded, "pid: no pid namespace; the server sees the host's processes in /proc");
        if (r == 0 && net && !strcmp(net, "none"))
                r = strlist_add(degraded, plan->abi >= 4
                                ? "network none: no network namespace; only TCP is refused (Landlock), "
                                  "other sockets are left to seccomp"
                                : "network none: no network namespace and Landlock ABI < 4; the network "
                                  "is left to seccomp");
        /* the other modes: sandbox/network.c says what the fallback keeps of them */
        if (r == 0 && plan->abi < 6)
                r = strlist_add(degraded, "signals: Landlock ABI < 6; the server can signal this user's "
                                "other processes");
        return r;
}

int fallback_plan_build(const struct policy *p, char *const *home, struct landlock_plan *plan,
                        struct strlist *degraded, struct mc_error *err)
{
        json_t *fs = json_object_get(p->root, "filesystem");
        const char *root = json_string_value(json_object_get(fs, "root"));
        const char *net = json_string_value(json_pointer_get(p->root, "/network/mode"));
        const char *file = p->path ? p->path : "policy";
        bool host_root = root && !strcmp(root, "host");
        _cleanup_strlist_ struct strlist holes = { 0 };
        plan->deny_tcp = net && !strcmp(net, "none");
        plan->scope = true;
        int r = collect_holes(p, home, host_root, &holes, degraded, err);
        if (r == 0 && host_root)
                r = grant_minus(plan, "/", LANDLOCK_READ, &holes, err);
        if (r == 0)
                r = grant_list(plan, json_object_get(fs, "read_only"), "read_only", LANDLOCK_READ, &holes, file, err);
        if (r == 0)
                r = grant_list(plan, json_object_get(fs, "read_write"), "read_write", LANDLOCK_READ_WRITE,
                               &holes, file, err);
        for (size_t i = 0; r == 0 && i < sizeof(DEVICES) / sizeof(DEVICES[0]); i++) {
                struct stat st;
                if (stat(DEVICES[i].path, &st) == 0 && landlock_plan_add(plan, DEVICES[i].path, DEVICES[i].grant) < 0)
                        r = mc_error_set(err, ENOMEM, "out of memory");
        }
        if (r == 0 && degraded_common(p, plan, degraded) < 0)
                r = mc_error_set(err, ENOMEM, "out of memory");
        return r;
}

int landlock_plan_for_view(const struct mount_plan *mounts, struct landlock_plan *plan)
{
        int r = landlock_plan_add(plan, "/", LANDLOCK_READ);
        for (size_t i = 0; r == 0 && i < mounts->n; i++) {
                const struct mount_op *op = &mounts->ops[i];
                if (op->kind == MOUNT_BIND_RW || op->kind == MOUNT_TMPFS)
                        r = landlock_plan_add(plan, op->target, LANDLOCK_READ_WRITE);
        }
        for (size_t i = 0; r == 0 && i < sizeof(DEVICES) / sizeof(DEVICES[0]); i++)
                if (DEVICES[i].grant == LANDLOCK_DEVICE_RW)
                        r = landlock_plan_add(plan, DEVICES[i].path, DEVICES[i].grant);
        if (r == 0)
                r = landlock_plan_add(plan, "/dev/shm", LANDLOCK_READ_WRITE);
        plan->scope = true;
        return r;
}
