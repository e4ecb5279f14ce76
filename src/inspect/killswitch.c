/* The kill switch (policy.md mcp.kill_switch): while its file exists, or from SIGUSR1 until
 * SIGUSR2, no tool runs.
 *
 * By default the file is checked with one stat() per tools/call. A relay that polls
 * inspector_kill_fd() instead gets an inotify watch, and the stat runs only when the
 * directory changes (a path walk per call was ~1.3 us of each small round trip). The watch
 * is on the deepest directory of the path that exists (the switch must work before
 * `mcpcage kill on` first creates its directory) and moves down as the path appears. Where
 * a watch could miss a change, the stat per call stays: a path that is not absolute or
 * goes through a symbolic link (the link can be re-pointed unseen), a file system inotify
 * cannot see all changes of (NFS and other network or FUSE file systems: a security team
 * may point the switch at a share), a queue overflow, a watched directory moved or
 * removed, or any failure to set the watch up. What the watch does not see: a directory
 * above the watched one renamed away and recreated; the default path lies in
 * XDG_RUNTIME_DIR, a mount point that cannot be renamed. A change made while the relay is
 * busy takes effect at its next wait, before it reads further input. */
#include "inspect/inspector-internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define KILL_EVENTS (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | \
                     IN_MOVE_SELF | IN_ONLYDIR)

/* The stat of the switch, once: 0 (it exists), ENOENT/ENOTDIR (off) or another errno. */
static int kill_stat(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 ? 0 : errno;
}

bool kill_switch_on(const struct inspect_rules *r, char *why, size_t size)
{
        if (r->killed) {
                snprintf(why, size, "the kill switch is on (SIGUSR1; SIGUSR2 turns it off)");
                return true;
        }
        if (!r->kill_path)
                return false;
        int e = r->kill_watched ? r->kill_state : kill_stat(r->kill_path);
        if (e == 0) {
                snprintf(why, size, "the kill switch is on (%s exists; `mcpcage kill off` removes it)",
                         r->kill_path);
                return true;
        }
        if (e == ENOENT || e == ENOTDIR)
                return false;
        /* fail closed: a switch that cannot be read might be on */
        snprintf(why, size, "the kill switch %s cannot be checked (%s)", r->kill_path, strerror(e));
        return true;
}

/* File systems where every change to a directory reaches its inotify watch. */
static bool local_fs(const char *dir)
{
        struct statfs sf;
        if (statfs(dir, &sf) < 0)
                return false;
        switch ((unsigned long)sf.f_type) {
        case TMPFS_MAGIC: case EXT4_SUPER_MAGIC: case XFS_SUPER_MAGIC: case BTRFS_SUPER_MAGIC:
        case RAMFS_MAGIC: case F2FS_SUPER_MAGIC:
                return true;
        default:
                return false;
        }
}

/* Watches the deepest existing directory of the path and reads the switch once, in that
 * order (a change between the two is an event). false: the stat per call stays. */
static bool kill_watch_arm(struct inspect_rules *r)
{
        char dir[PATH_MAX], real[PATH_MAX];
        size_t n = strlen(r->kill_path);
        r->kill_wd = -1;
        if (r->kill_path[0] != '/' || r->kill_path[n - 1] == '/' || n >= sizeof(dir))
                return false;
        memcpy(dir, r->kill_path, n + 1);
        while (r->kill_wd < 0) {
                if (!strcmp(dir, "/"))
                        return false;
                char *slash = strrchr(dir, '/');
                /* what must appear in dir next: the name its events are matched against */
                snprintf(r->kill_next, sizeof(r->kill_next), "%s", slash + 1);
                slash[slash == dir] = '\0';
                if (!realpath(dir, real)) {
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue;
                        return false;
                }
                if (strcmp(real, dir) != 0 || !local_fs(dir))
                        return false;
                r->kill_wd = inotify_add_watch(r->kill_fd, dir, KILL_EVENTS);
                if (r->kill_wd < 0 && errno != ENOENT && errno != ENOTDIR)
                        return false;
        }
        struct stat st;
        if (lstat(r->kill_path, &st) == 0 && S_ISLNK(st.st_mode))
                return false;
        r->kill_state = kill_stat(r->kill_path);
        return true;
}

/* A watch on the same directory keeps its descriptor; an old one is removed after the new
 * one is set (its IN_IGNORED then names a descriptor no longer current). */
static void kill_watch_rearm(struct inspect_rules *r)
{
        int old = r->kill_wd;
        r->kill_watched = kill_watch_arm(r);
        if (old >= 0 && old != r->kill_wd)
                (void)inotify_rm_watch(r->kill_fd, old);
        if (!r->kill_watched && r->kill_wd >= 0) {
                (void)inotify_rm_watch(r->kill_fd, r->kill_wd);
                r->kill_wd = -1;
        }
}

int inspector_kill_fd(struct inspector *ins)
{
        struct inspect_rules *r = &ins->rules;
        if (r->kill_polled || !r->kill_path)
                return r->kill_polled ? r->kill_fd : -1;
        r->kill_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (r->kill_fd < 0)
                return -1;
        r->kill_polled = true;
        r->kill_wd = -1;
        kill_watch_rearm(r);
        return r->kill_fd;
}

/* Whether an event may change what stat() says about the switch. */
static bool kill_event_matters(const struct inspect_rules *r, const struct inotify_event *ev)
{
        if (ev->mask & IN_Q_OVERFLOW)
                return true;
        if (ev->wd != r->kill_wd)
                return false;
        if (ev->len == 0) /* the directory itself: moved, removed, unmounted, its mode */
                return true;
        return !strcmp(ev->name, r->kill_next);
}

void inspector_kill_changed(struct inspector *ins)
{
        struct inspect_rules *r = &ins->rules;
        char b[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool matters = false;
        ssize_t n;
        while ((n = read(r->kill_fd, b, sizeof(b))) > 0)
                for (char *p = b; p < b + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        matters |= kill_event_matters(r, ev);
                        p += sizeof(*ev) + ev->len;
                }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
                matters = true;
        if (matters && r->kill_watched)
                kill_watch_rearm(r);
}

void kill_watch_free(struct inspect_rules *r)
{
        if (r->kill_polled)
                close(r->kill_fd);
        r->kill_polled = r->kill_watched = false;
}

void inspector_set_kill(struct inspector *ins, bool on)
{
        if (ins->rules.killed == on)
                return;
        ins->rules.killed = on;
        record_security(ins, "kill_switch", on ? "critical" : "info",
                        on ? "kill switch turned on by SIGUSR1: every tools/call is refused"
                           : "kill switch turned off by SIGUSR2", NULL, (struct span){ 0 }, NULL);
}
