#include "sandbox/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

static int lookup(const char *user, struct identity *id, struct mc_error *err)
{
        struct passwd *pw = getpwnam(user);
        char *end = NULL;
        errno = 0;
        unsigned long n = strtoul(user, &end, 10);
        if (!pw && end && end != user && !*end && errno == 0 && n < 0xffffffffUL)
                pw = getpwuid((uid_t)n);
        if (pw) {
                id->run_uid = pw->pw_uid;
                id->run_gid = pw->pw_gid;
                snprintf(id->name, sizeof(id->name), "%s", pw->pw_name);
                return 0;
        }
        /* A numeric id without a passwd entry is still a valid identity. */
        if (end && end != user && !*end && errno == 0 && n < 0xffffffffUL) {
                id->run_uid = (uid_t)n;
                id->run_gid = (gid_t)n;
                snprintf(id->name, sizeof(id->name), "%lu", n);
                return 0;
        }
        /* "nobody" is 65534 on every Linux distribution even without an entry. */
        if (!strcmp(user, IDENTITY_DEFAULT_ROOT_USER)) {
                id->run_uid = 65534;
                id->run_gid = 65534;
                snprintf(id->name, sizeof(id->name), "%s", user);
                return 0;
        }
        return mc_error_set(err, ENOENT, "user %s: no such user", user);
}

int identity_resolve(const char *user, struct identity *id, struct mc_error *err)
{
        *id = (struct identity){
                .privileged = geteuid() == 0,
                .outer_uid = geteuid(), .outer_gid = getegid(),
                .run_uid = geteuid(), .run_gid = getegid(),
        };
        if (id->privileged)
                return lookup(user ? user : IDENTITY_DEFAULT_ROOT_USER, id, err);
        struct passwd *pw = getpwuid(id->outer_uid);
        snprintf(id->name, sizeof(id->name), "%s", pw ? pw->pw_name : "");
        if (!pw)
                snprintf(id->name, sizeof(id->name), "%u", (unsigned)id->outer_uid);
        if (!user)
                return 0;
        struct identity want = *id;
        int r = lookup(user, &want, err);
        if (r < 0)
                return r;
        if (want.run_uid != id->outer_uid)
                return mc_error_set(err, EPERM, "user %s: only root can run the server as another user", user);
        return 0;
}

static int write_file(pid_t pid, const char *name, const char *text, struct mc_error *err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return mc_error_errno(err, errno, "user namespace: opening %s", path);
        size_t len = strlen(text);
        ssize_t w = write(fd, text, len);
        if (w < 0)
                return mc_error_errno(err, errno, "user namespace: writing %s", path);
        if ((size_t)w != len)
                return mc_error_set(err, EIO, "user namespace: short write to %s", path);
        return 0;
}

int identity_write_maps(pid_t child, const struct identity *id, struct mc_error *err)
{
        char uid_map[64], gid_map[64];
        int r;
        if (id->privileged) {
                /* 0 stays 0 for the setup steps (mounts, tmpfs owners); the run user is
                 * mapped beside it so the child can become that user. setgroups stays
                 * allowed: the child must drop root's supplementary groups. */
                int n = snprintf(uid_map, sizeof(uid_map), "0 0 1\n");
                if (id->run_uid != 0)
                        snprintf(uid_map + n, sizeof(uid_map) - (size_t)n, "%u %u 1\n",
                                 (unsigned)id->run_uid, (unsigned)id->run_uid);
                n = snprintf(gid_map, sizeof(gid_map), "0 0 1\n");
                if (id->run_gid != 0)
                        snprintf(gid_map + n, sizeof(gid_map) - (size_t)n, "%u %u 1\n",
                                 (unsigned)id->run_gid, (unsigned)id->run_gid);
        } else {
                /* The one map an unprivileged process may write; it requires setgroups to
                 * be denied first (CVE-2014-8989: dropping a group to gain access). */
                snprintf(uid_map, sizeof(uid_map), "%u %u 1\n", (unsigned)id->outer_uid,
                         (unsigned)id->outer_uid);
                snprintf(gid_map, sizeof(gid_map), "%u %u 1\n", (unsigned)id->outer_gid,
                         (unsigned)id->outer_gid);
                r = write_file(child, "setgroups", "deny", err);
                if (r < 0)
                        return r;
        }
        r = write_file(child, "uid_map", uid_map, err);
        if (r < 0)
                return r;
        return write_file(child, "gid_map", gid_map, err);
}
