#include "sandbox/netcgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bpf/netbpf.h"
#include "util/cleanup.h"

struct netcgroup {
        struct netbpf *bpf;
        char dir[PATH_MAX];
};

bool netcgroup_wanted(const struct net_plan *plan)
{
        if (plan->mode != NET_HOST)
                return false;
        for (size_t i = 0; i < plan->allow.n; i++)
                if (plan->allow.v[i].kind == NET_RULE_ADDR)
                        return true;
        return false;
}

/* Where the v2 hierarchy is mounted: /sys/fs/cgroup (unified), or its /unified (hybrid). */
static const char *v2_mount(void)
{
        static const char *const where[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
        for (size_t i = 0; i < 2; i++) {
                struct statfs sf;
                if (statfs(where[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
                        return where[i];
        }
        return NULL;
}

/* The child's v2 cgroup ("0::/path" in /proc/PID/cgroup). */
static int v2_path(pid_t pid, char *out, size_t n)
{
        char path[64], line[PATH_MAX + 16];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "0::", 3)) {
                        line[strcspn(line, "\n")] = '\0';
                        int k = snprintf(out, n, "%s", strcmp(line + 3, "/") ? line + 3 : "");
                        return k >= 0 && (size_t)k < n ? 0 : -ENAMETOOLONG;
                }
        return -ENOENT;
}

static int move_into(const char *dir, pid_t pid)
{
        char procs[2 * PATH_MAX + 16], text[16];
        int k = snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
        if (k < 0 || (size_t)k >= sizeof(procs))
                return -ENAMETOOLONG;
        _cleanup_close_ int fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int n = snprintf(text, sizeof(text), "%d\n", (int)pid);
        return write(fd, text, (size_t)n) == n ? 0 : -errno;
}

int netcgroup_attach(const struct net_plan *plan, pid_t child, struct netcgroup **out,
                     struct mc_error *err)
{
        *out = NULL;
        if (!netbpf_built())
                return mc_error_set(err, EOPNOTSUPP, "this build has no cgroup BPF programs (clang or "
                                    "bpftool missing at build time)");
        const char *mount = v2_mount();
        if (!mount)
                return mc_error_set(err, ENOENT, "no cgroup v2 hierarchy to attach the BPF programs to");
        char rel[PATH_MAX];
        int r = v2_path(child, rel, sizeof(rel));
        if (r < 0)
                return mc_error_errno(err, -r, "reading the server's cgroup");
        struct netcgroup *c = calloc(1, sizeof(*c));
        if (!c)
                return mc_error_set(err, ENOMEM, "out of memory");
        int k = snprintf(c->dir, sizeof(c->dir), "%s%s/mcpcage-net-%d", mount, rel, (int)child);
        if (k < 0 || (size_t)k >= sizeof(c->dir)) {
                free(c);
                return mc_error_set(err, ENAMETOOLONG, "the server's cgroup path is too long");
        }
        if (mkdir(c->dir, 0755) < 0) {
                r = mc_error_errno(err, errno, "creating the cgroup %s", c->dir);
                free(c);
                return r;
        }
        _cleanup_close_ int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || (r = move_into(c->dir, child)) < 0) {
                r = mc_error_errno(err, fd < 0 ? errno : -r, "moving the server into %s", c->dir);
                netcgroup_free(c);
                return r;
        }
        r = netbpf_attach(&plan->allow, fd, &c->bpf, err);
        if (r < 0) {
                /* back where it was, so the directory can go */
                char home[2 * PATH_MAX];
                k = snprintf(home, sizeof(home), "%s%s", mount, rel);
                if (k > 0 && (size_t)k < sizeof(home))
                        (void)move_into(home, child);
                netcgroup_free(c);
                return r;
        }
        *out = c;
        return 0;
}

const char *netcgroup_dir(const struct netcgroup *c)
{
        return c ? c->dir : NULL;
}

void netcgroup_free(struct netcgroup *c)
{
        if (!c)
                return;
        netbpf_free(c->bpf);
        /* Empty once the server's processes are gone; a failure leaves an empty directory. */
        (void)rmdir(c->dir);
        free(c);
}
