/* mcpcage's side of starting the server: prepare, clone, write the maps, release, wait for
 * the verdict (a setup failure, the exec's errno, or end of file: running). */
#include "sandbox/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/cgroup.h"
#include "sandbox/enter.h"
#include "sandbox/initexe.h"
#include "sandbox/netcgroup.h"
#include "sandbox/netproxy.h"
#include "sandbox/report.h"
#include "sandbox/setup.h"
#include "sandbox/sharedstack.h"
#include "sandbox/sync.h"
#include "sandbox/violations.h"
#include "util/cleanup.h"
#include "util/log.h"

/* Returned by one attempt when the user namespace turned out unusable. */
#define FALL_BACK 1

struct parent_ends {
        int in_w, out_r, err_r, sync;
};

static void setup_clearp(struct sandbox_setup *s) { setup_clear(s); }

static void reap(pid_t pid)
{
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

/* clone() failing this way means no user namespace for us: a kernel setting
 * (user.max_user_namespaces=0, kernel.unprivileged_userns_clone=0), a container's seccomp,
 * or an LSM refusing the other namespaces once the user namespace has no capabilities. */
static bool userns_refused(int e)
{
        return e == EPERM || e == EACCES || e == ENOSPC || e == EUSERS || e == EINVAL;
}

struct outcome {
        char *why;              /* FALL_BACK: why the user namespace cannot be used */
        bool exec_failed;       /* the error is the server's execve() errno */
        char net_why[MC_ERROR_MAX]; /* why network.allow in mode host is not enforced, or "" */
};

static int verdict(const struct sync_msg *m, bool confined, struct outcome *o, struct mc_error *err)
{
        switch (m->kind) {
        case SYNC_EXEC_FAILED:
                o->exec_failed = true;
                if (confined && m->err == ENOENT)
                        mc_error_set(err, ENOENT, "cannot run %s: not in the sandbox's filesystem view "
                                     "(add its directory with --ro or filesystem.read_only)", m->text);
                else
                        mc_error_errno(err, m->err ? m->err : EIO, "cannot run %s", m->text);
                return -err->code;
        case SYNC_NS_UNUSABLE:
                o->why = strdup(m->text);
                return o->why ? FALL_BACK : mc_error_set(err, ECANCELED, "out of memory");
        default:
                mc_error_set(err, ECANCELED, "setting up the sandbox: %s", m->text);
                return -ECANCELED;
        }
}

/* The listening sockets of the child's network namespace, net_plan_listener order. */
struct net_fds {
        int fd[1 + NET_MAX_FORWARDS];
};

static void net_fds_close(struct net_fds *n)
{
        for (size_t i = 0; i < 1 + NET_MAX_FORWARDS; i++)
                closep(&n->fd[i]);
        memset(n->fd, -1, sizeof(n->fd));
}

/* The setup channel's verdict; init hands the seccomp listener (and, network "filtered",
 * the namespace's listening sockets) over on the way. */
static int read_verdict(int sync, struct sync_msg *m, int *listener, struct net_fds *net)
{
        for (;;) {
                int r = sync_read(sync, m);
                if (r == 1 && m->kind == SYNC_NET_LISTENER && m->fd >= 0 && m->err >= 0 &&
                    m->err < 1 + NET_MAX_FORWARDS) {
                        closep(&net->fd[m->err]);
                        net->fd[m->err] = m->fd;
                        continue;
                }
                if (r != 1 || m->kind != SYNC_LISTENER) {
                        if (r == 1 && m->fd >= 0)
                                close(m->fd);
                        return r;
                }
                if (*listener >= 0)
                        close(*listener);
                *listener = m->fd;
        }
}

/* network "host" with addresses: the cgroup programs, before the server can connect. */
static int network_cgroup(const struct sandbox_setup *s, pid_t pid, struct outcome *o,
                          struct netcgroup **cg, struct mc_error *err)
{
        struct mc_error why = { 0 };
        if (!netcgroup_wanted(&s->net) || netcgroup_attach(&s->net, pid, cg, &why) == 0)
                return 0;
        if (s->net.filter_required)
                return mc_error_set(err, ECANCELED, "/require lists \"network-filter\" but network.allow "
                                    "cannot be enforced in network mode \"host\": %s", why.msg);
        snprintf(o->net_why, sizeof(o->net_why), "%s", why.msg);
        return 0;
}

/* The sandbox child shares mcpcage's memory until init's execve() of mcpcage-init and the
 * server's own (or their deaths): until then mcpcage only waits, in one poll() that no
 * message wakes (POLLIN is not asked for), for the last copy of the child's end of the
 * setup channel to close, which those execve() calls do. */
static int wait_shared_memory_left(int sync)
{
        struct pollfd p = { .fd = sync, .events = POLLRDHUP };
        for (;;) {
                int n = poll(&p, 1, -1);
                if (n > 0)
                        return 0;
                if (n < 0 && errno != EINTR)
                        return -errno;
        }
}

static int parent_side(const struct sandbox_setup *s, pid_t pid, int sync, struct outcome *o,
                       int *listener, struct net_fds *net, struct netcgroup **cg, struct mc_error *err)
{
        if (s->clone_flags & CLONE_NEWUSER) {
                int r = identity_write_maps(pid, &s->id, err);
                if (r < 0) {
                        reap(pid);
                        if (s->fallback_allowed) {
                                o->why = strdup(err->msg);
                                return o->why ? FALL_BACK : mc_error_set(err, ECANCELED, "out of memory");
                        }
                        err->code = ECANCELED;
                        return -ECANCELED;
                }
        }
        /* limits.memory, pids, cpu: in its cgroup before it runs a single step of its own. */
        if (cgroup_attach(s->cgroup, pid, err) < 0) {
                reap(pid);
                err->code = ECANCELED;
                return -ECANCELED;
        }
        int r = network_cgroup(s, pid, o, cg, err);
        if (r < 0) {
                reap(pid);
                return r;
        }
        r = sync_release(sync, err);
        if (r == 0)
                r = wait_shared_memory_left(sync);
        struct sync_msg m;
        if (r == 0)
                r = read_verdict(sync, &m, listener, net);
        if (r == 0 && sandbox_server_exec_errno()) {
                /* the filtered server's execve() failed: it could only leave the errno */
                m = (struct sync_msg){ .kind = SYNC_EXEC_FAILED, .err = sandbox_server_exec_errno(), .fd = -1 };
                snprintf(m.text, sizeof(m.text), "%s", s->exe);
                r = 1;
        }
        /* Without its listener a filtered server would wait for ever on its first refusal. */
        if (r == 0 && s->seccomp.notify && *listener < 0) {
                reap(pid);
                return mc_error_set(err, ECANCELED, "the sandbox did not hand over the seccomp listener");
        }
        if (r == 0)
                return 0;
        if (*listener >= 0)
                closep(listener);
        *listener = -1;
        net_fds_close(net);
        reap(pid);
        if (r == -ECONNRESET)
                return mc_error_set(err, ECANCELED, "the sandbox child died before its setup began");
        if (r < 0)
                return mc_error_errno(err, -r, "waiting for the sandbox child");
        return verdict(&m, s->mode != ISOLATION_NONE, o, err);
}

/* Network "filtered": the proxy serves the listeners the child opened in its namespace (in
 * the fallback, the one mcpcage opened on the host's loopback). */
static int start_proxy(const struct sandbox_setup *s, struct net_fds *net, struct child *out,
                       struct mc_error *err)
{
        if (s->net.mode != NET_FILTERED || s->mode == ISOLATION_NONE)
                return 0;
        size_t n = net_plan_listeners(&s->net);
        if (s->mode == ISOLATION_LANDLOCK) {
                closep(&net->fd[0]);
                net->fd[0] = fcntl(s->net_proxy_fd, F_DUPFD_CLOEXEC, 3);
                if (net->fd[0] < 0)
                        return mc_error_errno(err, errno, "network proxy: duplicating its listener");
        }
        for (size_t i = 0; i < 1 + NET_MAX_FORWARDS; i++) {
                if (i < n && net->fd[i] < 0)
                        return mc_error_set(err, ECANCELED, "the sandbox did not hand over the listening "
                                            "socket %zu of its network namespace", i);
                if (i >= n)
                        closep(&net->fd[i]);
        }
        int r = netproxy_start(&s->net, &s->id, net->fd, n, &out->net_pid, &out->net_events, err);
        memset(net->fd, -1, sizeof(net->fd));
        return r;
}

static int attempt(const struct sandbox_setup *s, int init_exe, struct child *out, struct outcome *o,
                   struct mc_error *err)
{
        int in[2], outp[2], errp[2], sp[2];
        if (pipe2(in, O_CLOEXEC) < 0)
                return mc_error_errno(err, errno, "creating the server's stdin pipe");
        _cleanup_close_ int in_r = in[0], in_w = in[1];
        if (pipe2(outp, O_CLOEXEC) < 0)
                return mc_error_errno(err, errno, "creating the server's stdout pipe");
        _cleanup_close_ int out_r = outp[0], out_w = outp[1];
        if (pipe2(errp, O_CLOEXEC) < 0)
                return mc_error_errno(err, errno, "creating the server's stderr pipe");
        _cleanup_close_ int err_r = errp[0], err_w = errp[1];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                return mc_error_errno(err, errno, "creating the sandbox setup socket");
        _cleanup_close_ int sync_p = sp[0], sync_c = sp[1];

        /* The child shares mcpcage's memory, so its dumpable flag too, and the /proc files
         * of a non-dumpable process (mcpcage started by a process that dropped root without
         * exec) are root's: its uid_map could not be written. Dumpable until the child has
         * left the memory (parent_side); init makes the shared memory non-dumpable on the
         * way, and mcpcage-init makes its own so before the server runs. */
        int dumpable = prctl(PR_GET_DUMPABLE);
        if (dumpable == 0)
                prctl(PR_SET_DUMPABLE, 1);
        int pidfd = -1;
        struct child_pipes cp = { .in_r = in_r, .out_w = out_w, .err_w = err_w, .sync = sync_c,
                                  .init_exe = init_exe };
        pid_t pid;
        if (s->refuse_userns == REFUSE_USERNS_AT_CLONE && (s->clone_flags & CLONE_NEWUSER)) {
                errno = EPERM;
                pid = -1;
        } else {
                pid = sandbox_spawn(s, &cp, &pidfd);
        }
        if (pid < 0) {
                int e = errno;
                prctl(PR_SET_DUMPABLE, dumpable == 0 ? 0 : 1);
                if ((s->clone_flags & CLONE_NEWUSER) && userns_refused(e) && s->fallback_allowed) {
                        o->why = strdup(strerror(e));
                        return o->why ? FALL_BACK : mc_error_set(err, ENOMEM, "out of memory");
                }
                return mc_error_errno(err, e, "clone(%s)", s->clone_flags ? "new namespaces" : "");
        }
        _cleanup_close_ int pfd = pidfd;
        closep(&in_r);
        in_r = -1;
        closep(&out_w);
        out_w = -1;
        closep(&err_w);
        err_w = -1;
        closep(&sync_c);
        sync_c = -1;
        _cleanup_close_ int listener = -1;
        _cleanup_(net_fds_close) struct net_fds net;
        memset(net.fd, -1, sizeof(net.fd));
        struct netcgroup *cg = NULL;
        int r = parent_side(s, pid, sync_p, o, &listener, &net, &cg, err);
        /* The child has left the memory (exec'd, or died, or was killed): mcpcage's flag
         * and stack again, whatever init set on the way. */
        prctl(PR_SET_DUMPABLE, dumpable == 0 ? 0 : 1);
        shared_stack_left();
        out->net_cgroup = cg;
        if (r != 0) {
                netcgroup_free(cg);
                out->net_cgroup = NULL;
                return r;
        }
        if (listener >= 0) {
                r = violations_new(TAKE_FD(listener), s->seccomp.answers, s->seccomp.n_answers,
                                   &out->violations, err);
                if (r < 0) {
                        reap(pid);
                        netcgroup_free(out->net_cgroup);
                        out->net_cgroup = NULL;
                        err->code = ECANCELED;
                        return -ECANCELED;
                }
        }
        if (start_proxy(s, &net, out, err) < 0) {
                violations_free(out->violations);
                out->violations = NULL;
                reap(pid);
                netcgroup_free(out->net_cgroup);
                out->net_cgroup = NULL;
                err->code = ECANCELED;
                return -ECANCELED;
        }
        if (pfd < 0)
                pfd = (int)syscall(SYS_pidfd_open, pid, 0);
        out->pid = pid;
        out->pidfd = TAKE_FD(pfd);
        out->stdin_fd = TAKE_FD(in_w);
        out->stdout_fd = TAKE_FD(out_r);
        out->stderr_fd = TAKE_FD(err_r);
        return 0;
}

static void say_degraded(const struct sandbox_setup *s)
{
        if (s->userns_refused)
                log_warn("user namespaces are refused (%s): using the Landlock fallback", s->userns_refused);
        for (size_t i = 0; i < s->degraded.n; i++)
                log_warn("confinement degraded: %s", s->degraded.v[i]);
}

int launch_child(const struct launch_config *cfg, struct child *out, struct mc_error *err)
{
        *out = (struct child){ .pid = -1, .pidfd = -1, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
                               .net_pid = -1, .net_events = -1 };
        _cleanup_(setup_clearp) struct sandbox_setup s;
        int r = setup_prepare(cfg, &s, err);
        if (r < 0)
                return r;
        _cleanup_close_ int init_exe = -1;
        if (s.mode != ISOLATION_NONE && (init_exe = init_exe_open(cfg->init_exe, err)) < 0) {
                err->code = ECANCELED;
                return -ECANCELED;
        }
        struct outcome o = { 0 };
        for (int tries = 0;; tries++) {
                free(o.why);
                o = (struct outcome){ 0 };
                r = attempt(&s, init_exe, out, &o, err);
                if (r != FALL_BACK)
                        break;
                r = tries == 0 ? setup_fall_back(&s, cfg, o.why, err)
                               : mc_error_set(err, ECANCELED, "the Landlock fallback failed too: %s", o.why);
                if (r < 0)
                        break;
        }
        free(o.why);
        if (r < 0) {
                /* Only the server's own execve() keeps its errno (127/126); the rest is ours. */
                if (!o.exec_failed)
                        err->code = ECANCELED;
                return -err->code;
        }
        if (o.net_why[0] && strlist_addf(&s.degraded, "network host: network.allow is not enforced (%s)",
                                         o.net_why) < 0)
                log_warn("out of memory");
        say_degraded(&s);
        out->sandbox = report_json(&s);
        out->cgroup = TAKE_PTR(s.cgroup);
        if (cfg->env_secrets) {
                *cfg->env_secrets = s.secrets.v;
                s.secrets = (struct strlist){ 0 };
        }
        if (cfg->exe)
                *cfg->exe = TAKE_PTR(s.exe);
        return 0;
}

void child_close_fds(struct child *c)
{
        closep(&c->pidfd);
        closep(&c->stdin_fd);
        closep(&c->stdout_fd);
        closep(&c->stderr_fd);
        c->pidfd = c->stdin_fd = c->stdout_fd = c->stderr_fd = -1;
        violations_free(c->violations);
        c->violations = NULL;
        /* after the server was reaped: nothing of the session may stay in a cgroup */
        int r = cgroup_destroy(c->cgroup);
        if (r < 0)
                log_warn("removing the server's cgroup: %s", strerror(-r));
        c->cgroup = NULL;
        netproxy_stop(&c->net_pid, &c->net_events);
        netcgroup_free(c->net_cgroup);
        c->net_cgroup = NULL;
        json_decref(c->sandbox);
        c->sandbox = NULL;
}
