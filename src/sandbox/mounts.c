/* The steps follow bubblewrap's setup_newroot(): a tmpfs to stand on, the host's root moved
 * aside to /oldroot with pivot_root, the new root assembled at /newroot from /oldroot
 * sources, /oldroot detached, then a second pivot_root(".", ".") onto /newroot. */
#include "sandbox/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/mountattr.h"
#include "sandbox/sync.h"

#define STAGE "/tmp"
#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"
#define MOUNTINFO OLDROOT "/proc/self/mountinfo"

/* What the host's devices the minimal /dev binds (threats.md §1: nothing else of /dev). */
static const char *const DEVICES[] = { "null", "zero", "full", "random", "urandom", "tty", NULL };
static const char *const DEV_LINKS[][2] = {
        { "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
        { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" }, { "core", "/proc/kcore" },
};
/* Read-only over the fresh proc, as bubblewrap does: kernel knobs and triggers. */
static const char *const PROC_READ_ONLY[] = { "sys", "sysrq-trigger", "irq", "bus", NULL };

static bool legacy_remount;

static void path_in(char *buf, size_t n, const char *base, const char *path)
{
        if (snprintf(buf, n, "%s%s", base, strcmp(path, "/") ? path : "") >= (int)n)
                die("building the view: %s: path too long", path);
}

/* dir/name into buf; a path that does not fit is an error, never a truncated mount. */
static void join(char *buf, size_t n, const char *dir, const char *name)
{
        int len = snprintf(buf, n, "%s/%s", dir, name);
        if (len < 0 || (size_t)len >= n)
                die("building the view: %s/%s: path too long", dir, name);
}

static void set_attrs(const char *path, unsigned attrs, bool recursive)
{
        const char *what;
        int r = mount_attr_set(path, attrs, recursive, legacy_remount, MOUNTINFO, &what);
        if (r < 0)
                die_errno(-r, "making %s %s", what + strlen(NEWROOT),
                          attrs & MATTR_RDONLY ? "read-only" : "nosuid,nodev");
}

/* Directories on the way are created inside tmpfs (the empty root, a tmpfs entry); a
 * mount point is never a symlink, since mount(2) would follow it. */
static void mkdir_parents(char *path)
{
        for (char *p = path + strlen(NEWROOT) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        die_errno(errno, "creating %s", path + strlen(NEWROOT));
                *p = '/';
        }
}

static void make_mountpoint(char *path, bool dir)
{
        struct stat st;
        if (lstat(path, &st) == 0) {
                if (S_ISLNK(st.st_mode))
                        die("mount point %s is a symlink; refusing to follow it", path + strlen(NEWROOT));
                return;
        }
        if (errno != ENOENT)
                die_errno(errno, "mount point %s", path + strlen(NEWROOT));
        mkdir_parents(path);
        if (dir) {
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        die_errno(errno, "creating the mount point %s", path + strlen(NEWROOT));
                return;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
        if (fd < 0 && errno != EEXIST)
                die_errno(errno, "creating the mount point %s", path + strlen(NEWROOT));
        if (fd >= 0)
                close(fd);
}

/* attrs 0: the bind keeps the source mount's flags (the device nodes of /dev: the host's
 * devtmpfs is what makes them usable, and they are single files). */
static void bind(const char *source, char *target, bool dir, unsigned attrs, bool recursive)
{
        char src[PATH_MAX];
        path_in(src, sizeof(src), OLDROOT, source);
        make_mountpoint(target, dir);
        if (mount(src, target, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
                die_errno(errno, "binding %s", source);
        if (attrs)
                set_attrs(target, attrs, recursive);
}

static void tmpfs(const char *target, unsigned long flags, const char *data)
{
        if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | flags, data) < 0)
                die_errno(errno, "mounting a tmpfs on %s (%s)", target + strlen(NEWROOT), data);
}

static void build_proc(char *target)
{
        make_mountpoint(target, true);
        /* The kernel refuses this when the host's /proc is partly covered (a container's
         * masked /proc): binding the host's instead would show its processes. */
        if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                die_errno(errno, "mounting a fresh /proc for the new pid namespace");
        for (const char *const *p = PROC_READ_ONLY; *p; p++) {
                char sub[PATH_MAX];
                join(sub, sizeof(sub), target, *p);
                if (access(sub, F_OK) < 0)
                        continue;
                if (mount(sub, sub, NULL, MS_BIND | MS_REC, NULL) < 0)
                        die_errno(errno, "binding /proc/%s", *p);
                set_attrs(sub, MATTR_RDONLY | MATTR_NOSUID | MATTR_NODEV | MATTR_NOEXEC, true);
        }
}

static void build_dev(char *target, const char *shm_data)
{
        make_mountpoint(target, true);
        tmpfs(target, MS_NOEXEC, "mode=0755,size=64k");
        char path[PATH_MAX];
        for (const char *const *d = DEVICES; *d; d++) {
                char host[32];
                join(host, sizeof(host), "/dev", *d);
                join(path, sizeof(path), target, *d);
                char src[PATH_MAX];
                path_in(src, sizeof(src), OLDROOT, host);
                if (access(src, F_OK) < 0)
                        continue;
                bind(host, path, false, 0, false);
        }
        join(path, sizeof(path), target, "pts");
        if (mkdir(path, 0755) < 0 ||
            mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") < 0)
                die_errno(errno, "mounting /dev/pts");
        join(path, sizeof(path), target, "shm");
        if (mkdir(path, 01777) < 0)
                die_errno(errno, "creating /dev/shm");
        tmpfs(path, 0, shm_data);
        for (size_t i = 0; i < sizeof(DEV_LINKS) / sizeof(DEV_LINKS[0]); i++) {
                join(path, sizeof(path), target, DEV_LINKS[i][0]);
                if (symlink(DEV_LINKS[i][1], path) < 0)
                        die_errno(errno, "creating /dev/%s", DEV_LINKS[i][0]);
        }
}

static void make_link(char *target, const char *text)
{
        struct stat st;
        if (lstat(target, &st) == 0)
                return;         /* the host's own link, seen through a bind */
        mkdir_parents(target);
        if (symlink(text, target) < 0)
                die_errno(errno, "creating the link %s -> %s", target + strlen(NEWROOT), text);
}

static void apply(const struct mount_op *op, const char *shm_data)
{
        char t[PATH_MAX];
        path_in(t, sizeof(t), NEWROOT, op->target);
        switch (op->kind) {
        case MOUNT_HOST_ROOT:
                if (mount(OLDROOT, t, NULL, MS_BIND | MS_REC, NULL) < 0)
                        die_errno(errno, "binding the host's root");
                set_attrs(t, MATTR_RDONLY | MATTR_NOSUID | MATTR_NODEV, true);
                break;
        case MOUNT_EMPTY_ROOT: tmpfs(t, 0, op->data); break;
        case MOUNT_PROC: build_proc(t); break;
        case MOUNT_DEV: build_dev(t, shm_data); break;
        case MOUNT_BIND_RO:
                bind(op->source, t, op->source_is_dir, MATTR_RDONLY | MATTR_NOSUID | MATTR_NODEV, true);
                break;
        case MOUNT_BIND_RW:
                bind(op->source, t, op->source_is_dir, MATTR_NOSUID | MATTR_NODEV, true);
                break;
        case MOUNT_TMPFS:
                make_mountpoint(t, true);
                tmpfs(t, 0, op->data);
                break;
        case MOUNT_MASK_DIR:
                tmpfs(t, MS_RDONLY | MS_NOEXEC, "mode=0000,size=4k");
                break;
        case MOUNT_MASK_FILE:
                bind("/dev/null", t, false, MATTR_RDONLY | MATTR_NOSUID | MATTR_NODEV | MATTR_NOEXEC, false);
                break;
        case MOUNT_SYMLINK: make_link(t, op->source); break;
        default: die("unknown mount operation %d on %s", (int)op->kind, op->target);
        }
}

static void stand_on_tmpfs(void)
{
        /* Nothing we mount may propagate back to the host, nor the host's into the view. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                die_ns_unusable(errno, "making the mount namespace private");
        if (mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0)
                die_errno(errno, "mounting the staging tmpfs on " STAGE);
        if (chdir(STAGE) < 0 || mkdir("." NEWROOT, 0755) < 0 || mkdir("." OLDROOT, 0755) < 0)
                die_errno(errno, "preparing the staging tmpfs");
        if (syscall(SYS_pivot_root, ".", "." OLDROOT) < 0)
                die_errno(errno, "pivot_root to the staging tmpfs");
        if (chdir("/") < 0)
                die_errno(errno, "chdir /");
}

static void leave_host(void)
{
        if (chdir(NEWROOT) < 0)
                die_errno(errno, "chdir " NEWROOT);
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                die_errno(errno, "pivot_root to the new root");
        /* The staging tmpfs, with the host's root below it at /oldroot, is now stacked on
         * the new root: one detach takes both (each unmount waits for an RCU grace period,
         * which is most of what this step costs). */
        if (umount2(".", MNT_DETACH) < 0)
                die_errno(errno, "detaching the host's root");
        if (chdir("/") < 0)
                die_errno(errno, "chdir / in the new root");
}

void mounts_build_root(const struct mount_plan *plan, const char *dev_shm_data, bool legacy)
{
        legacy_remount = legacy;
        stand_on_tmpfs();
        for (size_t i = 0; i < plan->n; i++)
                apply(&plan->ops[i], dev_shm_data);
        /* Created what it needed: the empty root and /dev turn read-only (threats.md §1
         * "create a file in /"). */
        if (!plan->host_root)
                set_attrs(NEWROOT, MATTR_RDONLY | MATTR_NOSUID | MATTR_NODEV, false);
        set_attrs(NEWROOT "/dev", MATTR_RDONLY | MATTR_NOSUID | MATTR_NOEXEC, false);
        leave_host();
}
