/* src/sandbox/cgroup.c. The v2 path runs against a directory laid out like cgroupfs (this
 * machine's v2 hierarchy has no memory or pids controller); the v1 path runs both against
 * such a directory and, as root, for real: a fork bomb stopped at pids.max and an allocation
 * ended by the OOM killer, each seen as an event, each with an unconfined twin. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "sandbox/cgroup.h"

static char dir[256];

static char *at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *at(const char *fmt, ...)
{
        static char bufs[8][512];
        static int i;
        char *b = bufs[i++ % 8];
        int n = snprintf(b, 512, "%s/", dir);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b + n, 512 - (size_t)n, fmt, ap);
        va_end(ap);
        return b;
}

static void put(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, text, strlen(text)) < 0) {
                perror(path);
                exit(2);
        }
        close(fd);
}

static char *get(const char *path)
{
        static char buf[512];
        buf[0] = '\0';
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return buf;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        return buf;
}

static void mkdirs(const char *path)
{
        char p[512];
        snprintf(p, sizeof(p), "%s", path);
        for (char *s = p + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                mkdir(p, 0755);
                *s = '/';
        }
        mkdir(p, 0755);
}

static bool gone(const char *path) { return access(path, F_OK) < 0 && errno == ENOENT; }

static void test_v2_layout(void)
{
        mkdirs(at("v2/user.slice/me"));
        put(at("v2/cgroup.controllers"), "cpuset cpu io memory pids\n");
        put(at("v2/user.slice/me/cgroup.controllers"), "cpu memory pids\n");
        put(at("v2/user.slice/me/cgroup.subtree_control"), "");
        put(at("self-v2"), "0::/user.slice/me\n");
        mkdirs(at("v2/user.slice/me/mcpcage-999999"));  /* a dead mcpcage's leaf */
        char root[512], self[512];
        snprintf(root, sizeof(root), "%s", at("v2"));
        snprintf(self, sizeof(self), "%s", at("self-v2"));
        struct cgroup_config cfg = { .root = root, .self = self, .privileged = false, .owner = 4242 };
        struct cgroup_limits lim = { .memory = 64u << 20, .pids = 32, .cpu = 0.5 };
        struct cgroup *cg = NULL;
        char why[256];
        struct mc_error err = { 0 };
        int r = cgroup_create(&cfg, &lim, &cg, why, sizeof(why), &err);
        tap_ok(r == 0 && cgroup_kind_of(cg) == CGROUP_V2, "v2 layout, unprivileged: a v2 leaf (%s)", why);
        tap_ok(cgroup_enforces(cg) == (CGROUP_HAS_MEMORY | CGROUP_HAS_PIDS | CGROUP_HAS_CPU), "it enforces memory, "
               "pids and cpu");
        tap_is_str(cgroup_path(cg), at("v2/user.slice/me/mcpcage-4242"), "the leaf is under our own cgroup");
        tap_is_str(get(at("v2/user.slice/me/mcpcage-4242/memory.max")), "67108864", "memory.max written");
        tap_is_str(get(at("v2/user.slice/me/mcpcage-4242/pids.max")), "32", "pids.max written");
        tap_is_str(get(at("v2/user.slice/me/mcpcage-4242/cpu.max")), "50000 100000", "cpu.max: half a CPU");
        tap_ok(strstr(get(at("v2/user.slice/me/cgroup.subtree_control")), "+") != NULL,
               "controllers enabled for our children through subtree_control");
        tap_ok(gone(at("v2/user.slice/me/mcpcage-999999")), "the leaf of a dead mcpcage is swept");
        tap_ok(cgroup_attach(cg, 1234, &err) == 0 &&
               !strcmp(get(at("v2/user.slice/me/mcpcage-4242/cgroup.procs")), "1234"), "attach writes cgroup.procs");
        struct cgroup_events ev;
        put(at("v2/user.slice/me/mcpcage-4242/memory.events"), "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\n");
        put(at("v2/user.slice/me/mcpcage-4242/pids.events"), "max 5\n");
        put(at("v2/user.slice/me/mcpcage-4242/memory.peak"), "123456\n");
        cgroup_events_read(cg, &ev);
        tap_ok(ev.oom_kills == 2 && ev.pids_max == 5, "events: 2 OOM kills, 5 refused forks");
        cgroup_events_read(cg, &ev);
        tap_ok(ev.oom_kills == 0 && ev.pids_max == 0, "read again: nothing new");
        put(at("v2/user.slice/me/mcpcage-4242/memory.events"), "oom_kill 3\n");
        cgroup_events_read(cg, &ev);
        tap_ok(ev.oom_kills == 1, "one more OOM kill is one");
        tap_ok(cgroup_memory_peak(cg) == 123456, "memory.peak read");
        tap_ok(cgroup_destroy(cg) == 0 && gone(at("v2/user.slice/me/mcpcage-4242")), "destroy removes the leaf");

        /* without the controller: no cgroup, and why */
        put(at("v2/user.slice/me/cgroup.controllers"), "cpu\n");
        put(at("v2/user.slice/me/cgroup.subtree_control"), "");
        r = cgroup_create(&cfg, &lim, &cg, why, sizeof(why), &err);
        tap_ok(r == 0 && !cg && strstr(why, "memory controller is not available"), "no memory controller: none, "
               "because: %s", why);
        struct cgroup_limits none = { 0 };
        r = cgroup_create(&cfg, &none, &cg, why, sizeof(why), &err);
        tap_ok(r == 0 && !cg, "no limits asked: no cgroup");
}

static void test_hybrid_and_v1_layout(void)
{
        mkdirs(at("hy/unified"));
        mkdirs(at("hy/memory/box"));
        mkdirs(at("hy/pids"));
        put(at("hy/unified/cgroup.controllers"), "hugetlb\n");
        put(at("hy/unified/cgroup.subtree_control"), "");
        put(at("hy/memory/cgroup.procs"), "");
        put(at("hy/memory/box/cgroup.procs"), "");
        put(at("hy/pids/cgroup.procs"), "");
        put(at("self-hy"), "9:name=systemd:/\n8:pids:/\n4:memory:/box\n0::/\n");
        char root[512], self[512];
        snprintf(root, sizeof(root), "%s", at("hy"));
        snprintf(self, sizeof(self), "%s", at("self-hy"));
        struct cgroup_config cfg = { .root = root, .self = self, .privileged = false, .owner = 77 };
        struct cgroup_limits lim = { .memory = 1u << 30, .pids = 64 };
        struct cgroup *cg = NULL;
        char why[256];
        struct mc_error err = { 0 };
        int r = cgroup_create(&cfg, &lim, &cg, why, sizeof(why), &err);
        tap_ok(r == 0 && !cg && strstr(why, "need root"), "hybrid, unprivileged: none (%s)", why);
        cfg.privileged = true;
        r = cgroup_create(&cfg, &lim, &cg, why, sizeof(why), &err);
        tap_ok(r == 0 && cgroup_kind_of(cg) == CGROUP_V1 &&
               cgroup_enforces(cg) == (CGROUP_HAS_MEMORY | CGROUP_HAS_PIDS), "hybrid as root: v1 memory and pids");
        tap_is_str(get(at("hy/memory/box/mcpcage-77/memory.limit_in_bytes")), "1073741824",
                   "memory.limit_in_bytes under our own memory cgroup");
        tap_is_str(get(at("hy/pids/mcpcage-77/pids.max")), "64", "pids.max under our own pids cgroup");
        put(at("hy/memory/box/mcpcage-77/memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
        put(at("hy/pids/mcpcage-77/pids.events"), "max 3\n");
        struct cgroup_events ev;
        cgroup_events_read(cg, &ev);
        tap_ok(ev.oom_kills == 1 && ev.pids_max == 3, "v1 events from memory.oom_control and pids.events");
        tap_ok(cgroup_destroy(cg) == 0 && gone(at("hy/memory/box/mcpcage-77")) && gone(at("hy/pids/mcpcage-77")),
               "destroy removes both leaves");
}

/* ---- real v1, as root ---- */

static int fork_many(int n)
{
        pid_t kids[64];
        int made = 0;
        for (int i = 0; i < n && i < 64; i++) {
                pid_t p = fork();
                if (p < 0)
                        break;
                if (p == 0) {
                        pause();
                        _exit(0);
                }
                kids[made++] = p;
        }
        for (int i = 0; i < made; i++) {
                kill(kids[i], SIGKILL);
                waitpid(kids[i], NULL, 0);
        }
        return made;
}

/* In a child (its own process group) placed in cg before it starts: fork up to 40, or touch
 * 128 MiB. The exit code is the forks made; a signal is 1000 + it. */
static int confined(struct cgroup *cg, bool allocate)
{
        int go[2];
        if (pipe(go) < 0)
                exit(2);
        pid_t c = fork();
        if (c == 0) {
                setpgid(0, 0);
                char b;
                close(go[1]);
                if (read(go[0], &b, 1) != 1)
                        _exit(99);
                if (allocate) {
                        size_t n = 128u << 20;
                        char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                        for (size_t i = 0; m != MAP_FAILED && i < n; i += 4096)
                                m[i] = 1;
                        _exit(0);
                }
                _exit(fork_many(40));
        }
        close(go[0]);
        struct mc_error err = { 0 };
        if (cg && cgroup_attach(cg, c, &err) < 0)
                printf("# %s\n", err.msg);
        (void)!write(go[1], "g", 1);
        close(go[1]);
        int st;
        waitpid(c, &st, 0);
        return WIFSIGNALED(st) ? 1000 + WTERMSIG(st) : WEXITSTATUS(st);
}

static void test_real_v1(void)
{
        if (geteuid() != 0 || access("/sys/fs/cgroup/pids/cgroup.procs", F_OK) < 0 ||
            access("/sys/fs/cgroup/memory/cgroup.procs", F_OK) < 0) {
                tap_skip("needs root and the v1 memory and pids controllers", "real v1 cgroup");
                return;
        }
        struct cgroup_config cfg = { .root = "/sys/fs/cgroup", .self = "/proc/self/cgroup", .privileged = true,
                                     .owner = getpid() };
        struct cgroup_limits lim = { .memory = 32u << 20, .pids = 8 };
        struct cgroup *cg = NULL;
        char why[256];
        struct mc_error err = { 0 };
        int r = cgroup_create(&cfg, &lim, &cg, why, sizeof(why), &err);
        if (!tap_ok(r == 0 && cg, "a real cgroup (%s) at %s", cgroup_kind_name(cgroup_kind_of(cg)),
                    cg ? cgroup_path(cg) : why))
                return;
        char path[512];
        snprintf(path, sizeof(path), "%s", cgroup_path(cg));
        int free_forks = confined(NULL, false);
        int forks = confined(cg, false);
        tap_ok(free_forks == 40, "unconfined: the bomb makes its 40 forks (%d)", free_forks);
        tap_ok(forks >= 1 && forks < 8, "in the cgroup: stopped at pids.max 8 (%d forks)", forks);
        struct cgroup_events ev;
        cgroup_events_read(cg, &ev);
        tap_ok(ev.pids_max >= 1, "the refused forks are an event (%llu)", (unsigned long long)ev.pids_max);
        int free_alloc = confined(NULL, true);
        int alloc = confined(cg, true);
        tap_ok(free_alloc == 0, "unconfined: 128 MiB are touched");
        tap_ok(alloc == 1000 + SIGKILL, "in the cgroup (32 MiB): the OOM killer ends it (%d)", alloc);
        cgroup_events_read(cg, &ev);
        tap_ok(ev.oom_kills >= 1, "the OOM kill is an event (%llu)", (unsigned long long)ev.oom_kills);
        uint64_t peak = cgroup_memory_peak(cg);
        tap_ok(peak >= (16u << 20) && peak <= (33u << 20), "peak memory near the limit (%llu)", (unsigned long long)peak);
        tap_ok(cgroup_destroy(cg) == 0 && gone(path), "the leaf is removed");
}

int main(void)
{
        snprintf(dir, sizeof(dir), "/tmp/test-cgroup-XXXXXX");
        if (!mkdtemp(dir))
                return 2;
        test_v2_layout();
        test_hybrid_and_v1_layout();
        test_real_v1();
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
                printf("# could not remove %s\n", dir);
        return tap_done();
}
