#include "sandbox/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

#define CPU_PERIOD_US 100000

static void closedirp(DIR **d) { if (*d) closedir(*d); }
#define MAX_DIRS 3

struct cgroup {
        enum cgroup_kind kind;
        unsigned enforces;
        char *dirs[MAX_DIRS];           /* v2: the leaf; v1: one leaf per controller */
        size_t n_dirs;
        const char *memory_dir, *pids_dir;
        int epfd, inofd, oomfd;
        struct cgroup_events seen;
};

const char *cgroup_kind_name(enum cgroup_kind k)
{
        switch (k) {
        case CGROUP_V2: return "v2";
        case CGROUP_V1: return "v1";
        case CGROUP_NONE: return "none";
        default: return "?";
        }
}

enum cgroup_kind cgroup_kind_of(const struct cgroup *cg) { return cg ? cg->kind : CGROUP_NONE; }
unsigned cgroup_enforces(const struct cgroup *cg) { return cg ? cg->enforces : 0; }
const char *cgroup_path(const struct cgroup *cg) { return cg && cg->n_dirs ? cg->dirs[0] : NULL; }
const char *cgroup_dir(const struct cgroup *cg, size_t i) { return cg && i < cg->n_dirs ? cg->dirs[i] : NULL; }
int cgroup_events_fd(const struct cgroup *cg) { return cg ? cg->epfd : -1; }

bool cgroup_limits_any(const struct cgroup_limits *l)
{
        return l->memory || l->pids || l->cpu > 0;
}

int cgroup_limits_from_policy(const struct policy *p, struct cgroup_limits *out, struct mc_error *err)
{
        const char *file = p->path ? p->path : "policy";
        json_t *lim = json_object_get(p->root, "limits");
        json_t *mem = json_object_get(lim, "memory"), *pids = json_object_get(lim, "pids");
        json_t *cpu = json_object_get(lim, "cpu");
        *out = (struct cgroup_limits){ 0 };
        if (json_is_integer(mem) && json_integer_value(mem) > 0)
                out->memory = (uint64_t)json_integer_value(mem);
        else if (json_is_string(mem) && policy_parse_size(json_string_value(mem), &out->memory) < 0)
                return mc_error_set(err, EINVAL, "%s: /limits/memory: not a size: %s", file, json_string_value(mem));
        if (json_is_integer(pids) && json_integer_value(pids) > 0)
                out->pids = (uint64_t)json_integer_value(pids);
        if (json_is_number(cpu) && json_number_value(cpu) > 0)
                out->cpu = json_number_value(cpu);
        return 0;
}

/* ---- files ---- */

/* a, sep, b into out; false (and out empty) when it does not fit: never a truncated path. */
static bool join(char *out, size_t n, const char *a, const char *sep, const char *b)
{
        int k = snprintf(out, n, "%s%s%s", a, sep, b);
        if (k < 0 || (size_t)k >= n) {
                out[0] = '\0';
                return false;
        }
        return true;
}

static int write_at(const char *dir, const char *name, const char *text)
{
        char path[PATH_MAX];
        join(path, sizeof(path), dir, "/", name);
        /* O_CREAT only matters for a directory laid out like cgroupfs (the tests): cgroupfs
         * has the file or refuses to create it. */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, text, strlen(text));
        return n < 0 ? -errno : 0;
}

static bool exists_at(const char *dir, const char *name)
{
        char path[PATH_MAX];
        join(path, sizeof(path), dir, "/", name);
        return access(path, F_OK) == 0;
}

static ssize_t read_at(const char *dir, const char *name, char *buf, size_t n)
{
        char path[PATH_MAX];
        join(path, sizeof(path), dir, "/", name);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t r = read(fd, buf, n - 1);
        if (r < 0)
                return -errno;
        buf[r] = '\0';
        return r;
}

/* "key N" from a flat keyed file (memory.events, pids.events, memory.oom_control). */
static uint64_t read_key(const char *dir, const char *name, const char *key)
{
        char buf[2048];
        if (!dir || read_at(dir, name, buf, sizeof(buf)) < 0)
                return 0;
        size_t k = strlen(key);
        for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (!strncmp(line, key, k) && line[k] == ' ')
                        return strtoull(line + k + 1, NULL, 10);
        return 0;
}

static uint64_t read_number(const char *dir, const char *name)
{
        char buf[64];
        return dir && read_at(dir, name, buf, sizeof(buf)) > 0 ? strtoull(buf, NULL, 10) : 0;
}

/* Our own cgroup in a hierarchy: "0::/path" (v2, controller NULL) or "N:a,b:/path" (v1). */
static bool own_path(const char *self, const char *controller, char *out, size_t n)
{
        _cleanup_fclose_ FILE *f = fopen(self, "re");
        char line[1024];
        while (f && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c1 = '\0';
                *c2 = '\0';
                bool match = !controller ? !strcmp(line, "0") && c1[1] == '\0' : false;
                for (char *tok = c1 + 1, *save = NULL; controller && (tok = strtok_r(tok, ",", &save)); tok = NULL)
                        match |= !strcmp(tok, controller);
                if (match) {
                        snprintf(out, n, "%s", strcmp(c2 + 1, "/") ? c2 + 1 : "");
                        return true;
                }
        }
        return false;
}

/* ---- creating ---- */

/* Leaves of mcpcage processes that are gone (a crash or SIGKILL of mcpcage itself). */
static void sweep_stale(const char *base, pid_t owner)
{
        _cleanup_(closedirp) DIR *d = opendir(base);
        struct dirent *e;
        while (d && (e = readdir(d))) {
                char *end;
                if (strncmp(e->d_name, "mcpcage-", 8))
                        continue;
                long pid = strtol(e->d_name + 8, &end, 10);
                if (*end || pid <= 0 || pid == owner || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                        continue;
                char path[PATH_MAX];
                join(path, sizeof(path), base, "/", e->d_name);
                (void)rmdir(path);
        }
}

static char *make_leaf(const char *base, pid_t owner, char *why, size_t n)
{
        sweep_stale(base, owner);
        char path[PATH_MAX], name[32];
        snprintf(name, sizeof(name), "mcpcage-%d", (int)owner);
        if (!*base || !join(path, sizeof(path), base, "/", name)) {
                snprintf(why, n, "cgroup path too long");
                return NULL;
        }
        if (mkdir(path, 0755) < 0 && !(errno == EEXIST && rmdir(path) == 0 && mkdir(path, 0755) == 0)) {
                snprintf(why, n, "cannot create %s: %s", path, strerror(errno));
                return NULL;
        }
        char *p = strdup(path);
        if (!p)
                (void)rmdir(path);
        return p;
}

static void add_dir(struct cgroup *cg, char *dir)
{
        cg->dirs[cg->n_dirs++] = dir;
}

static const char *v2_root(const char *root, char *buf, size_t n)
{
        if (exists_at(root, "cgroup.controllers"))
                return root;
        snprintf(buf, n, "%s/unified", root);
        return exists_at(buf, "cgroup.controllers") ? buf : NULL;
}

static bool word_in(const char *list, const char *w)
{
        size_t k = strlen(w);
        for (const char *p = list; (p = strstr(p, w)); p += k)
                if ((p == list || p[-1] == ' ' || p[-1] == '+') && (!p[k] || p[k] == ' ' || p[k] == '\n'))
                        return true;
        return false;
}

static int v2_limits(struct cgroup *cg, const struct cgroup_limits *lim)
{
        char v[64];
        const char *d = cg->dirs[0];
        int r = 0;
        if (lim->memory) {
                snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->memory);
                r = write_at(d, "memory.max", v);
                /* swap would let the server hold its memory past the limit */
                if (r == 0 && exists_at(d, "memory.swap.max"))
                        r = write_at(d, "memory.swap.max", "0");
                cg->enforces |= CGROUP_HAS_MEMORY;
                cg->memory_dir = d;
        }
        if (r == 0 && lim->pids) {
                snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->pids);
                r = write_at(d, "pids.max", v);
                cg->enforces |= CGROUP_HAS_PIDS;
                cg->pids_dir = d;
        }
        if (r == 0 && lim->cpu > 0) {
                snprintf(v, sizeof(v), "%llu %d", (unsigned long long)(lim->cpu * CPU_PERIOD_US), CPU_PERIOD_US);
                r = write_at(d, "cpu.max", v);
                cg->enforces |= CGROUP_HAS_CPU;
        }
        return r;
}

/* v2: every controller the limits need, enabled for our children, and a leaf under our own
 * cgroup. The kernel refuses subtree_control in a non-root cgroup that holds processes (the
 * "no internal processes" rule), which is how an undelegated cgroup says no. */
static int create_v2(const struct cgroup_config *cfg, const struct cgroup_limits *lim, struct cgroup *cg,
                     char *why, size_t n)
{
        char ubuf[PATH_MAX], rel[PATH_MAX], base[PATH_MAX], have[512], on[512];
        const char *v2 = v2_root(cfg->root, ubuf, sizeof(ubuf));
        if (!v2 || !own_path(cfg->self, NULL, rel, sizeof(rel))) {
                snprintf(why, n, "no cgroup v2 hierarchy");
                return 0;
        }
        if (!join(base, sizeof(base), v2, "", rel)) {
                snprintf(why, n, "v2: path too long");
                return 0;
        }
        if (read_at(base, "cgroup.controllers", have, sizeof(have)) < 0 ||
            read_at(base, "cgroup.subtree_control", on, sizeof(on)) < 0) {
                snprintf(why, n, "v2: cannot read the controllers of %s", base);
                return 0;
        }
        const char *need[3] = { lim->memory ? "memory" : NULL, lim->pids ? "pids" : NULL,
                                lim->cpu > 0 ? "cpu" : NULL };
        for (int i = 0; i < 3; i++) {
                if (!need[i] || word_in(on, need[i]))
                        continue;
                char plus[16];
                snprintf(plus, sizeof(plus), "+%s", need[i]);
                int r = word_in(have, need[i]) ? write_at(base, "cgroup.subtree_control", plus) : -ENOENT;
                if (r < 0) {
                        snprintf(why, n, "v2: the %s controller is %s in %s", need[i],
                                 r == -ENOENT ? "not available" : "not delegated", base);
                        return 0;
                }
        }
        char *leaf = make_leaf(base, cfg->owner, why, n);
        if (!leaf)
                return 0;
        add_dir(cg, leaf);
        cg->kind = CGROUP_V2;
        return v2_limits(cg, lim);
}

static int v1_limits(const char *ctrl, const char *d, struct cgroup *cg, const struct cgroup_limits *lim)
{
        char v[64];
        int r;
        if (!strcmp(ctrl, "memory")) {
                snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->memory);
                r = write_at(d, "memory.limit_in_bytes", v);
                if (r == 0 && exists_at(d, "memory.memsw.limit_in_bytes"))
                        r = write_at(d, "memory.memsw.limit_in_bytes", v);
                cg->enforces |= CGROUP_HAS_MEMORY;
                cg->memory_dir = d;
        } else if (!strcmp(ctrl, "pids")) {
                snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->pids);
                r = write_at(d, "pids.max", v);
                cg->enforces |= CGROUP_HAS_PIDS;
                cg->pids_dir = d;
        } else {
                snprintf(v, sizeof(v), "%d", CPU_PERIOD_US);
                r = write_at(d, "cpu.cfs_period_us", v);
                snprintf(v, sizeof(v), "%llu", (unsigned long long)(lim->cpu * CPU_PERIOD_US));
                if (r == 0)
                        r = write_at(d, "cpu.cfs_quota_us", v);
                cg->enforces |= CGROUP_HAS_CPU;
        }
        return r;
}

/* v1 (root only): one leaf per controller the limits need, under our own cgroup there. */
static int create_v1(const struct cgroup_config *cfg, const struct cgroup_limits *lim, struct cgroup *cg,
                     char *why, size_t n)
{
        if (!cfg->privileged) {
                snprintf(why, n, "cgroup v1 controllers need root");
                return 0;
        }
        const char *need[3] = { lim->memory ? "memory" : NULL, lim->pids ? "pids" : NULL,
                                lim->cpu > 0 ? "cpu" : NULL };
        for (int i = 0; i < 3; i++) {
                char mnt[PATH_MAX], rel[PATH_MAX], base[PATH_MAX];
                if (!need[i])
                        continue;
                if (!join(mnt, sizeof(mnt), cfg->root, "/", need[i]))
                        continue;
                if (!exists_at(mnt, "cgroup.procs") || exists_at(mnt, "cgroup.controllers") ||
                    !own_path(cfg->self, need[i], rel, sizeof(rel)))
                        continue;
                if (!join(base, sizeof(base), mnt, "", rel))
                        continue;
                char *leaf = make_leaf(base, cfg->owner, why, n);
                if (!leaf)
                        continue;
                add_dir(cg, leaf);
                cg->kind = CGROUP_V1;
                int r = v1_limits(need[i], leaf, cg, lim);
                if (r < 0)
                        return r;
        }
        if (cg->kind == CGROUP_NONE && !why[0])
                snprintf(why, n, "no cgroup v1 controller for the limits is mounted");
        return 0;
}

/* Readiness for the relay: inotify on the *.events files (the kernel notifies a change of
 * them), and for v1 memory the OOM eventfd of cgroup.event_control. */
static void watch_events(struct cgroup *cg)
{
        cg->epfd = epoll_create1(EPOLL_CLOEXEC);
        cg->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (cg->epfd < 0 || cg->inofd < 0)
                return;
        char path[PATH_MAX];
        const char *files[2][2] = { { cg->memory_dir, "memory.events" }, { cg->pids_dir, "pids.events" } };
        for (int i = 0; i < 2; i++) {
                if (!files[i][0] || !exists_at(files[i][0], files[i][1]))
                        continue;
                join(path, sizeof(path), files[i][0], "/", files[i][1]);
                (void)inotify_add_watch(cg->inofd, path, IN_MODIFY);
        }
        struct epoll_event ev = { .events = EPOLLIN };
        (void)epoll_ctl(cg->epfd, EPOLL_CTL_ADD, cg->inofd, &ev);
        if (cg->kind != CGROUP_V1 || !cg->memory_dir)
                return;
        cg->oomfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        snprintf(path, sizeof(path), "%s/memory.oom_control", cg->memory_dir);
        _cleanup_close_ int ctl = open(path, O_RDONLY | O_CLOEXEC);
        char line[64];
        snprintf(line, sizeof(line), "%d %d", cg->oomfd, ctl);
        if (cg->oomfd >= 0 && ctl >= 0 && write_at(cg->memory_dir, "cgroup.event_control", line) == 0)
                (void)epoll_ctl(cg->epfd, EPOLL_CTL_ADD, cg->oomfd, &ev);
}

static void close_fds(struct cgroup *cg)
{
        closep(&cg->epfd);
        closep(&cg->inofd);
        closep(&cg->oomfd);
        cg->epfd = cg->inofd = cg->oomfd = -1;
}

int cgroup_create(const struct cgroup_config *cfg, const struct cgroup_limits *lim,
                  struct cgroup **out, char *why, size_t why_len, struct mc_error *err)
{
        *out = NULL;
        why[0] = '\0';
        if (!cgroup_limits_any(lim)) {
                snprintf(why, why_len, "no limits.memory, pids or cpu asked for");
                return 0;
        }
        struct cgroup *cg = calloc(1, sizeof(*cg));
        if (!cg)
                return mc_error_set(err, ENOMEM, "out of memory");
        cg->epfd = cg->inofd = cg->oomfd = -1;
        char why2[256] = "";
        int r = create_v2(cfg, lim, cg, why, why_len);
        if (r == 0 && cg->kind == CGROUP_NONE)
                r = create_v1(cfg, lim, cg, why2, sizeof(why2));
        if (r == 0 && cg->kind == CGROUP_NONE && why2[0])
                snprintf(why + strlen(why), why_len - strlen(why), "; %s", why2);
        if (r < 0) {
                mc_error_errno(err, -r, "cgroup %s: writing the limits", cg->n_dirs ? cg->dirs[cg->n_dirs - 1] : "");
                cgroup_destroy(cg);
                return r;
        }
        if (cg->kind == CGROUP_NONE) {
                cgroup_destroy(cg);
                return 0;
        }
        watch_events(cg);
        *out = cg;
        return 0;
}

int cgroup_attach(struct cgroup *cg, pid_t pid, struct mc_error *err)
{
        char v[32];
        snprintf(v, sizeof(v), "%d", (int)pid);
        for (size_t i = 0; cg && i < cg->n_dirs; i++) {
                int r = write_at(cg->dirs[i], "cgroup.procs", v);
                if (r < 0)
                        return mc_error_errno(err, -r, "placing the server in %s", cg->dirs[i]);
        }
        return 0;
}

void cgroup_events_read(struct cgroup *cg, struct cgroup_events *delta)
{
        *delta = (struct cgroup_events){ 0 };
        if (!cg)
                return;
        char buf[4096];
        while (cg->inofd >= 0 && read(cg->inofd, buf, sizeof(buf)) > 0)
                ;
        uint64_t ticks;
        if (cg->oomfd >= 0)
                (void)!read(cg->oomfd, &ticks, sizeof(ticks));
        struct cgroup_events now = {
                .oom_kills = read_key(cg->memory_dir, cg->kind == CGROUP_V2 ? "memory.events" : "memory.oom_control",
                                      "oom_kill"),
                .pids_max = read_key(cg->pids_dir, "pids.events", "max"),
        };
        delta->oom_kills = now.oom_kills > cg->seen.oom_kills ? now.oom_kills - cg->seen.oom_kills : 0;
        delta->pids_max = now.pids_max > cg->seen.pids_max ? now.pids_max - cg->seen.pids_max : 0;
        cg->seen = now;
}

uint64_t cgroup_memory_peak(const struct cgroup *cg)
{
        if (!cg || !cg->memory_dir)
                return 0;
        return read_number(cg->memory_dir, cg->kind == CGROUP_V2 ? "memory.peak" : "memory.max_usage_in_bytes");
}

/* ---- removing ---- */

static void kill_members(const char *dir)
{
        if (exists_at(dir, "cgroup.kill") && write_at(dir, "cgroup.kill", "1") == 0)
                return;
        char buf[8192];
        if (read_at(dir, "cgroup.procs", buf, sizeof(buf)) <= 0)
                return;
        for (char *p = buf, *end; *p; p = end) {
                long pid = strtol(p, &end, 10);
                if (end == p)
                        break;
                if (pid > 0)
                        kill((pid_t)pid, SIGKILL);
        }
}

/* A directory laid out like cgroupfs (the tests) holds plain files rmdir would refuse. */
static void clear_plain_dir(const char *dir)
{
        struct statfs sf;
        if (statfs(dir, &sf) < 0 || sf.f_type == CGROUP2_SUPER_MAGIC || sf.f_type == CGROUP_SUPER_MAGIC)
                return;
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d)))
                if (e->d_type == DT_REG)
                        (void)unlinkat(dirfd(d), e->d_name, 0);
}

static int remove_leaf(const char *dir)
{
        kill_members(dir);
        clear_plain_dir(dir);
        /* The last process may still be exiting (EBUSY): up to 2 s. */
        for (int i = 0; i < 200; i++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        return -errno;
                if (i % 20 == 19)
                        kill_members(dir);
                nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
        return -EBUSY;
}

int cgroup_destroy(struct cgroup *cg)
{
        if (!cg)
                return 0;
        int rc = 0;
        close_fds(cg);
        for (size_t i = 0; i < cg->n_dirs; i++) {
                int r = remove_leaf(cg->dirs[i]);
                if (r < 0 && rc == 0)
                        rc = r;
                free(cg->dirs[i]);
        }
        free(cg);
        return rc;
}

enum cgroup_kind cgroup_probe(const struct cgroup_config *cfg, char *why, size_t why_len)
{
        struct cgroup_limits lim = { .memory = 1ull << 30, .pids = 64, .cpu = 0 };
        struct cgroup *cg = NULL;
        struct mc_error err = { 0 };
        if (cgroup_create(cfg, &lim, &cg, why, why_len, &err) < 0) {
                snprintf(why, why_len, "%s", err.msg);
                return CGROUP_NONE;
        }
        enum cgroup_kind k = cgroup_kind_of(cg);
        cgroup_destroy(cg);
        return k;
}
