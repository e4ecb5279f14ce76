#include "sandbox/init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static sigset_t waited;

void init_block_signals(bool fallback)
{
        sigemptyset(&waited);
        sigaddset(&waited, SIGCHLD);
        sigaddset(&waited, SIGTERM);
        sigaddset(&waited, SIGINT);
        sigaddset(&waited, SIGHUP);
        if (fallback)
                sigaddset(&waited, INIT_PARENT_GONE_SIGNAL);
        sigprocmask(SIG_BLOCK, &waited, NULL);
}

/* The parent pid from /proc/PID/stat ("pid (comm) state ppid ..."); comm may hold spaces
 * and parentheses, so the last ')' ends it. */
static pid_t stat_ppid(const char *pid)
{
        char path[300], buf[512];
        snprintf(path, sizeof(path), "/proc/%s/stat", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        if (!p || !p[1] || !p[2])
                return -1;
        return (pid_t)strtol(p + 4, NULL, 10);
}

/* SIGKILL to every direct child, read from /proc with getdents64 (no allocation). */
static void kill_children(void)
{
        int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return;
        pid_t self = getpid();
        char buf[8192];
        for (;;) {
                long n = syscall(SYS_getdents64, dir, buf, sizeof(buf));
                if (n <= 0)
                        break;
                for (long off = 0; off < n; ) {
                        struct dirent64 *d = (struct dirent64 *)(buf + off);
                        off += d->d_reclen;
                        if (d->d_name[0] < '1' || d->d_name[0] > '9')
                                continue;
                        if (stat_ppid(d->d_name) == self)
                                kill((pid_t)strtol(d->d_name, NULL, 10), SIGKILL);
                }
        }
        close(dir);
}

/* Fallback mode: as subreaper every orphan of the server's tree comes back to init; kill
 * the children, wait for one to die (its own children are reparented to init by then),
 * repeat until there is nobody left. */
static void sweep(void)
{
        for (;;) {
                /* Usually nobody is left: then no /proc scan at all. */
                pid_t p = waitpid(-1, NULL, WNOHANG);
                if (p < 0 && errno == ECHILD)
                        return;
                if (p > 0)
                        continue;
                kill_children();
                do
                        p = waitpid(-1, NULL, 0);
                while (p < 0 && errno == EINTR);
                if (p < 0)
                        return;
        }
}

static _Noreturn void exit_like(int status)
{
        if (WIFEXITED(status))
                _exit(WEXITSTATUS(status));
        int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
        /* Outside a pid namespace init can die of the same signal, so mcpcage reports the
         * signal itself; as pid 1 the kernel ignores it and 128+N says the same. */
        signal(sig, SIG_DFL);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, sig);
        sigprocmask(SIG_UNBLOCK, &s, NULL);
        kill(getpid(), sig);
        _exit(128 + sig);
}

void init_run(pid_t server, bool fallback)
{
        bool done = false;
        int status = 0;
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&waited, &si);
                if (sig < 0)
                        continue;
                if (fallback && sig == INIT_PARENT_GONE_SIGNAL) {
                        kill(server, SIGKILL);
                        sweep();
                        _exit(128 + SIGKILL);
                }
                if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
                        if (!done)
                                kill(server, sig);
                        continue;
                }
                pid_t p;
                int st;
                while ((p = waitpid(-1, &st, WNOHANG)) > 0)
                        if (p == server) {
                                done = true;
                                status = st;
                        }
                if (done) {
                        if (fallback)
                                sweep();
                        exit_like(status);
                }
        }
}
