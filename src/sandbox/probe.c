#include "sandbox/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/clone.h"

bool probe_sysctl(const char *path, long *value)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        char buf[32];
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        *value = strtol(buf, NULL, 10);
        return true;
}

static int write_proc(const char *name, const char *text)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/%s", name);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t w = write(fd, text, strlen(text));
        int e = errno;
        close(fd);
        return w < 0 ? -e : 0;
}

enum { STEP_OK, STEP_SETUID, STEP_CLONE, STEP_MAP, STEP_MOUNT };

static _Noreturn void report(int fd, int step, int e)
{
        int msg[2] = { step, e };
        (void)!write(fd, msg, sizeof(msg));
        _exit(step ? 1 : 0);
}

static _Noreturn void in_namespace(int fd, uid_t uid, gid_t gid)
{
        char map[64];
        snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
        int r = write_proc("setgroups", "deny");
        if (r == 0)
                r = write_proc("uid_map", map);
        snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
        if (r == 0)
                r = write_proc("gid_map", map);
        if (r < 0)
                report(fd, STEP_MAP, -r);
        /* AppArmor's restriction lets the namespace be created and refuses what needs its
         * capabilities: only a mount tells. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=4k") < 0)
                report(fd, STEP_MOUNT, errno);
        report(fd, STEP_OK, 0);
}

static _Noreturn void prober(int fd, uid_t uid, gid_t gid)
{
        if (uid != (uid_t)-1 && (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
                                 setresuid(uid, uid, uid) < 0))
                report(fd, STEP_SETUID, errno);
        /* The uid change made us non-dumpable, which makes /proc/self/uid_map root's. */
        if (uid != (uid_t)-1 && prctl(PR_SET_DUMPABLE, 1) < 0)
                report(fd, STEP_SETUID, errno);
        uid_t u = geteuid();
        gid_t g = getegid();
        int pidfd;
        pid_t c = sandbox_clone(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
                                CLONE_NEWUTS | CLONE_NEWNET, &pidfd);
        if (c < 0)
                report(fd, STEP_CLONE, errno);
        if (c == 0)
                in_namespace(fd, u, g);
        while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
                ;
        _exit(0);
}

int probe_userns(uid_t uid, gid_t gid, const char **step)
{
        static const char *const names[] = { "ok", "becoming the user", "clone", "uid/gid maps", "mount" };
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                *step = "pipe";
                return -errno;
        }
        pid_t pid = fork();
        if (pid < 0) {
                close(p[0]);
                close(p[1]);
                *step = "fork";
                return -errno;
        }
        if (pid == 0)
                prober(p[1], uid, gid);
        close(p[1]);
        int msg[2] = { -1, EIO };
        ssize_t n;
        do
                n = read(p[0], msg, sizeof(msg));
        while (n < 0 && errno == EINTR);
        close(p[0]);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        if (n != (ssize_t)sizeof(msg) || msg[0] < 0 || msg[0] > STEP_MOUNT) {
                *step = "probe";
                return -EIO;
        }
        *step = names[msg[0]];
        return msg[0] == STEP_OK ? 0 : -msg[1];
}
