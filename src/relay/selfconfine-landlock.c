/* The relay's Landlock rules (selfconfine.h): where it may still touch files after the
 * start, with the least right each place needs. No rule carries the execute right, and
 * nothing else of the filesystem is reachable: not ~/.ssh, not the user's files, not
 * /etc. stat(), inotify and statfs are not Landlock rights, so the kill switch (stat()ed,
 * watched with inotify: inspect/killswitch.c) needs no rule.
 *
 * TCP bind and connect are handled with no port allowed (the seccomp filter already
 * refuses socket(2); this is the second wall), and abstract Unix sockets are scoped to the
 * relay's domain (ABI 6). Signals are not scoped: the relay must still signal its server,
 * which lives outside its domain. */
#include "relay/selfconfine-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "inspect/guards/pin.h"
#include "sandbox/cgroup.h"
#include "sandbox/landlock.h"
#include "sandbox/netcgroup.h"
#include "util/cleanup.h"
#include "util/files.h"
#include "util/log.h"

#define FS(x) LANDLOCK_ACCESS_FS_##x
/* The audit log: append, and create it anew when logrotate renamed it (SIGHUP). No read:
 * the relay never reads its own log back. */
#define RIGHTS_AUDIT (FS(WRITE_FILE) | FS(MAKE_REG))
/* Pins (inspect/guards/pin.c): read, a temporary file written and renamed over the pin
 * (a rename within one directory is make + remove there, no REFER), removed on failure. */
#define RIGHTS_PINS (FS(READ_FILE) | FS(WRITE_FILE) | FS(MAKE_REG) | FS(REMOVE_FILE))
/* The server's cgroup leaf: events and peak read, cgroup.kill and cgroup.procs at the
 * end; plain files listed and removed where the tests lay one out like cgroupfs. Its
 * parent: only the leaf's removal (rmdir). */
#define RIGHTS_CGROUP (FS(READ_FILE) | FS(WRITE_FILE) | FS(READ_DIR) | FS(REMOVE_FILE))
#define RIGHTS_CGROUP_PARENT FS(REMOVE_DIR)
/* /proc: the sandbox pid of a seccomp violation (/proc/PID/status, sandbox/violations.c).
 * Read only; a path through /proc/PID/root or /proc/PID/fd resolves to the file it
 * names, which the rules above must allow on their own. Another process's memory, and as
 * an ordinary user its environment, stay closed: Landlock refuses ptrace-class access to
 * processes outside the relay's domain (test-selfconfine). What is left readable is what
 * any process of the user sees of the others (status, cmdline). */
#define RIGHTS_PROC FS(READ_FILE)
/* The host's stderr when it is a terminal, /dev/null or a named pipe: the loop reopens it
 * non-blocking through /proc/self/fd/2 (relay/fds.c), so the terminal's other users keep
 * their flags. Write only, that one file. */
#define RIGHTS_STDERR FS(WRITE_FILE)

#if MCPCAGE_SANITIZE || defined(__SANITIZE_ADDRESS__)
/* ASan+UBSan builds: the runtime lists /proc/self/task at exit (LeakSanitizer) and reads
 * the binary and its libraries to symbolize a report. */
#define RIGHTS_PROC_SANITIZER (FS(READ_FILE) | FS(READ_DIR))
static const char *const SANITIZER_READ[] = { "/usr", "/lib", "/lib64", "/proc/self/exe", NULL };
#endif

static int add(struct landlock_plan *plan, const char *path, uint64_t rights)
{
        int r = landlock_plan_add_rights(plan, path, rights);
        if (r < 0)
                return r;
        log_debug("self-confinement: %s 0x%llx", path, (unsigned long long)rights);
        return 0;
}

/* The pins directory, made now (0700, as pin.c would at the first pin) so there is a
 * path to grant; a Landlock rule can only name what exists. */
static int add_pins(struct landlock_plan *plan, const char *state_home)
{
        _cleanup_free_ char *dir = state_home ? pin_dir(state_home) : NULL;
        if (!dir)
                return state_home ? -ENOMEM : 0;
        int r = mkdir_private_p(dir);
        if (r < 0) {
                /* the first pin would fail the same way: nothing to grant */
                log_debug("self-confinement: no pins directory (%s: %s)", dir, strerror(-r));
                return 0;
        }
        return add(plan, dir, RIGHTS_PINS);
}

static int add_audit(struct landlock_plan *plan, const char *file)
{
        if (!file || !strcmp(file, "-"))
                return 0;
        _cleanup_free_ char *dir = strdup(file);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (!slash)
                return add(plan, ".", RIGHTS_AUDIT);
        slash[slash == dir] = '\0';
        return add(plan, dir, RIGHTS_AUDIT);
}

static int add_leaf(struct landlock_plan *plan, const char *leaf)
{
        _cleanup_free_ char *parent = strdup(leaf);
        if (!parent)
                return -ENOMEM;
        char *slash = strrchr(parent, '/');
        if (slash)
                slash[slash == parent] = '\0';
        int r = add(plan, leaf, RIGHTS_CGROUP);
        return r < 0 || !slash ? r : add(plan, parent, RIGHTS_CGROUP_PARENT);
}

static int add_cgroups(struct landlock_plan *plan, const struct child *ch)
{
        const char *d;
        for (size_t i = 0; ch && (d = cgroup_dir(ch->cgroup, i)); i++) {
                int r = add_leaf(plan, d);
                if (r < 0)
                        return r;
        }
        /* network "host" with addresses: the BPF programs' cgroup, removed at the end */
        const char *net = ch ? netcgroup_dir(ch->net_cgroup) : NULL;
        return net ? add_leaf(plan, net) : 0;
}

/* The file behind fd when it is a device or a named pipe, checked to be the same inode. */
static int add_stderr(struct landlock_plan *plan, int fd)
{
        struct stat st, named;
        char link[64], path[PATH_MAX];
        if (fd < 0 || fstat(fd, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)))
                return 0;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof(path) - 1);
        if (n <= 0 || path[0] != '/')
                return 0;       /* an anonymous pipe: Landlock does not restrict those */
        path[n] = '\0';
        if (stat(path, &named) < 0 || named.st_ino != st.st_ino || named.st_dev != st.st_dev)
                return 0;
        return add(plan, path, RIGHTS_STDERR);
}

static int add_sanitizer(struct landlock_plan *plan)
{
#if MCPCAGE_SANITIZE || defined(__SANITIZE_ADDRESS__)
        for (const char *const *p = SANITIZER_READ; *p; p++) {
                struct stat st;
                int r = stat(*p, &st) == 0 ? add(plan, *p, FS(READ_FILE) | FS(READ_DIR)) : 0;
                if (r < 0)
                        return r;
        }
        return add(plan, "/proc", RIGHTS_PROC_SANITIZER);
#else
        return add(plan, "/proc", RIGHTS_PROC);
#endif
}

static void plan_clearp(struct landlock_plan *p) { landlock_plan_clear(p); }

int selfconfine_landlock_build(const struct selfconfine_config *cfg, int abi, int *fd, size_t *n_rules,
                               struct mc_error *err)
{
        _cleanup_(plan_clearp) struct landlock_plan plan = { .abi = abi, .deny_tcp = true, .scope_unix = true };
        int r = add_audit(&plan, cfg->audit_file);
        if (r >= 0)
                r = add_pins(&plan, cfg->state_home);
        if (r >= 0)
                r = add_cgroups(&plan, cfg->child);
        if (r >= 0)
                r = add_stderr(&plan, cfg->host_err);
        if (r >= 0)
                r = add_sanitizer(&plan);
        if (r < 0)
                return mc_error_errno(err, -r, "relay Landlock rules");
        r = landlock_ruleset_build(&plan, fd, err);
        if (r < 0)
                return mc_error_prefix(err, "relay self-confinement");
        *n_rules = plan.n;
        return 0;
}
