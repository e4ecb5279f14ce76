#include "sandbox/netproxy.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/proxy.h"
#include "sandbox/caps.h"
#include "sandbox/fds.h"
#include "sandbox/landlock.h"
#include "util/log.h"

#define PROXY_EVENTS_FD 3
#define PROXY_FIRST_LISTENER 4

/* What getaddrinfo reads: nsswitch, hosts, resolv.conf (maybe a link into /run), the NSS
 * modules. Nothing is writable. */
static const char *const PROXY_READ[] = { "/etc", "/usr", "/lib", "/lib64", "/run", NULL };

static _Noreturn void fail(const char *what, int e)
{
        log_error("network proxy: %s: %s", what, strerror(e));
        _exit(1);
}

/* The events socket onto 3, the listeners from 4, /dev/null on 0 and 1 (stdout is the
 * protocol's), stderr kept for diagnostics, everything else of mcpcage's closed: the proxy
 * must not hold the server's pipes (their end of file is how the relay sees an exit). */
static void arrange(int events, int *fds, size_t n)
{
        int all[1 + 1 + NET_MAX_FORWARDS];
        all[0] = events;
        for (size_t i = 0; i < n; i++)
                all[1 + i] = fds[i];
        for (size_t i = 0; i < 1 + n; i++)
                if ((all[i] = fcntl(all[i], F_DUPFD_CLOEXEC, 64)) < 0)
                        fail("arranging descriptors", errno);
        for (size_t i = 0; i < 1 + n; i++)
                if (dup3(all[i], PROXY_EVENTS_FD + (int)i, O_CLOEXEC) < 0)
                        fail("arranging descriptors", errno);
        fds_close_from(PROXY_EVENTS_FD + 1 + (int)n);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0)
                fail("opening /dev/null", errno);
        if (null > STDERR_FILENO)
                close(null);
}

static void confine(const struct identity *id)
{
        const char *what;
        bool bounding;
        int r = caps_drop(id, id->privileged && identity_changes(id), &bounding, &what);
        if (r < 0)
                fail(what, -r);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                fail("PR_SET_NO_NEW_PRIVS", errno);
        if (prctl(PR_SET_DUMPABLE, 0) < 0)
                fail("PR_SET_DUMPABLE", errno);
        struct landlock_plan plan = { .abi = landlock_abi(), .scope = true };
        if (plan.abi < 1)
                return;
        for (const char *const *p = PROXY_READ; *p; p++) {
                struct stat st;
                if (stat(*p, &st) == 0 && landlock_plan_add(&plan, *p, LANDLOCK_READ) < 0)
                        fail("landlock", ENOMEM);
        }
        struct mc_error err = { 0 };
        int fd;
        if (landlock_ruleset_build(&plan, &fd, &err) < 0) {
                log_error("network proxy: %s", err.msg);
                _exit(1);
        }
        landlock_plan_clear(&plan);
        if ((r = landlock_restrict(fd)) < 0)
                fail("landlock_restrict_self", -r);
        close(fd);
}

static _Noreturn void proxy_main(const struct net_plan *plan, const struct identity *id, pid_t parent,
                                 int events, int *fds, size_t n)
{
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(1);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_IGN);
        prctl(PR_SET_NAME, "mcpcage-proxy");
        arrange(events, fds, n);
        confine(id);
        int listeners[1 + NET_MAX_FORWARDS];
        for (size_t i = 0; i < n; i++)
                listeners[i] = PROXY_FIRST_LISTENER + (int)i;
        _exit(net_proxy_run(plan, listeners, n, PROXY_EVENTS_FD));
}

int netproxy_start(const struct net_plan *plan, const struct identity *id, int *fds, size_t n,
                   pid_t *pid, int *events, struct mc_error *err)
{
        int sp[2] = { -1, -1 };
        int r = 0;
        if (n == 0 || n > 1 + NET_MAX_FORWARDS)
                r = mc_error_set(err, EINVAL, "network proxy: %zu listeners", n);
        else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                r = mc_error_errno(err, errno, "network proxy: socketpair");
        pid_t parent = getpid();
        pid_t p = r < 0 ? -1 : fork();
        if (r == 0 && p < 0)
                r = mc_error_errno(err, errno, "network proxy: fork");
        if (p == 0) {
                close(sp[0]);
                proxy_main(plan, id, parent, sp[1], fds, n);
        }
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        if (sp[1] >= 0)
                close(sp[1]);
        if (r < 0) {
                if (sp[0] >= 0)
                        close(sp[0]);
                return r;
        }
        *pid = p;
        *events = sp[0];
        return 0;
}

void netproxy_stop(pid_t *pid, int *events)
{
        if (*events >= 0)
                close(*events);
        *events = -1;
        if (*pid <= 0)
                return;
        /* Its audit lines went to the relay as they happened; nothing is lost by SIGKILL. */
        kill(*pid, SIGKILL);
        while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
                ;
        *pid = -1;
}
