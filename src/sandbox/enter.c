/* The child, from clone() to execve(), as one ordered list (minijail's minijail_enter() and
 * bubblewrap's setup_newroot() are the models). Each step is a function in its own file; a
 * step that fails dies with one line over the sync socket, which mcpcage prints and turns
 * into exit 125. The order matters and each place says why. The child runs on mcpcage's
 * memory until its last execve(): sandbox_spawn (at the end) says how the two keep out of
 * each other's way; init's last step is the execve() of mcpcage-init (become_init). */
#include "sandbox/enter.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#if MCPCAGE_HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#include "sandbox/caps.h"
#include "sandbox/fds.h"
#include "sandbox/init.h"
#include "sandbox/initexe.h"
#include "sandbox/mounts.h"
#include "sandbox/netns.h"
#include "sandbox/seccomp.h"
#include "sandbox/sharedstack.h"
#include "sandbox/sync.h"

#define HOSTNAME "mcpcage"

/* Signals come from mcpcage blocked (its signalfd) and maybe ignored; the server starts
 * with the defaults a freshly exec'd process expects. */
static void reset_signals(void)
{
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        signal(s, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Never outlive the parent. The death signal is cleared by every credential change, so
 * this runs again after one; the re-check closes the race with a parent that died before
 * the prctl (getppid() is 0 across a pid namespace, so the sync socket tells instead). */
static void parent_death_signal(int sig, pid_t parent)
{
        if (prctl(PR_SET_PDEATHSIG, sig) < 0)
                die_errno(errno, "PR_SET_PDEATHSIG");
        if (parent > 0 ? getppid() != parent : !sync_child_parent_alive())
                _exit(125);
}

/* The first steps of every child: the setup channel, the descriptors, the signals, the
 * death signal. */
static void enter_common(const struct sandbox_setup *s, const struct child_pipes *p, pid_t parent)
{
        sync_child_init(p->sync);
        fds_arrange(p->in_r, p->out_w, p->err_w, p->sync, s->landlock_fd, p->init_exe);
        reset_signals();
        parent_death_signal(SIGKILL, s->mode == ISOLATION_NAMESPACES ? 0 : parent);
}

static void no_new_privs(void)
{
        /* setuid binaries and file capabilities gain nothing from here on (threats.md §1
         * "setuid binary gains nothing"); also what Landlock and seccomp require. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                die_errno(errno, "PR_SET_NO_NEW_PRIVS");
}

static void drop_privileges(const struct sandbox_setup *s)
{
        const char *what;
        bool bounding;
        int r = caps_drop(&s->id, s->id.privileged && identity_changes(&s->id), &bounding, &what);
        if (r < 0)
                die_errno(-r, "%s", what);
}

/* The server's execve() errno when its filter kept it from saying so itself; in mcpcage's
 * own memory, which mcpcage reads once the server has left it (sandbox_server_exec_errno). */
static int server_exec_errno;

int sandbox_server_exec_errno(void)
{
        return server_exec_errno;
}

/* Shared between init and the server (CLONE_VM, CLONE_FILES); see spawn_server. */
struct spawn_arg {
        const struct sandbox_setup *s;
        pid_t init_pid;
        int listener;           /* the seccomp listener, in the fd table both share */
        bool filtered;          /* the filter is loaded */
        int ready_w;            /* the server writes one byte here once it is */
        int go_r;               /* and waits here for mcpcage-init's byte */
};

/* Seccomp, the last step but one: after it the server only tells init it is ready, waits
 * for mcpcage-init and calls execve(). A refused syscall now waits for mcpcage's answer,
 * which comes only once the server has exec'd, so nothing here may be refusable (read,
 * write and execve cannot be denied, seccomp.c): an execve() failure is left in mcpcage's
 * memory instead of being sent from here. */
static void load_seccomp(const struct sandbox_setup *s, struct spawn_arg *a)
{
        if (!a || !s->seccomp.prog)
                return;
        int fd = seccomp_plan_load(&s->seccomp);
        if (fd < 0)
                die_errno(-fd, "loading the seccomp filter (profile %s)", seccomp_profile_name(s->seccomp.profile));
        a->filtered = true;
        if (fd > 0)
                a->listener = fd;
}

/* The server is ready; it runs only once mcpcage-init has made itself non-dumpable (the
 * memory of an execve() is dumpable until the program says otherwise, and a dumpable init
 * is one the server could open /proc/1/mem of: an unfiltered process in its hands). */
static void wait_for_init(struct spawn_arg *a)
{
        char c = 'r';
        if (!a)
                return;
        if (write(a->ready_w, &c, 1) != 1 || read(a->go_r, &c, 1) != 1)
                _exit(125);
}

/* The server (pid 2 in the namespace), started by init: the last steps before execve().
 * a is NULL when there is no init (isolation none). */
static _Noreturn void exec_server(const struct sandbox_setup *s, pid_t init_pid, struct spawn_arg *a)
{
        parent_death_signal(SIGKILL, init_pid);
        reset_signals();
        if (s->workdir && chdir(s->workdir) < 0)
                die_errno(errno, "chdir to the workdir %s", s->workdir);
        const char *what;
        int r = rlimits_apply(&s->rlimits, &what);
        if (r < 0)
                die_errno(-r, "%s", what);
        /* Landlock last but for seccomp: the server, not init, is in the domain, so it can
         * signal nothing outside it, init included (scope, ABI 6). */
        if (s->mode == ISOLATION_LANDLOCK || s->landlock_required) {
                struct mc_error err = { 0 };
                int fd = FD_RULESET;
                if (s->mode != ISOLATION_LANDLOCK && landlock_ruleset_build(&s->landlock, &fd, &err) < 0)
                        die("%s", err.msg);
                if ((r = landlock_restrict(fd)) < 0)
                        die_errno(-r, "landlock_restrict_self");
                close(fd);
        }
        load_seccomp(s, a);
        bool filtered = a && a->filtered;
        wait_for_init(a);
        execve(s->exe, s->argv, s->mode == ISOLATION_NONE ? environ : s->env.v);
        if (filtered) {
                server_exec_errno = errno;
                _exit(errno == ENOENT ? 127 : 126);
        }
        die_exec(errno, s->exe);
}

static int server_main(void *p)
{
        struct spawn_arg *a = p;
        exec_server(a->s, a->init_pid, a);
}

/* init cannot go on: the server must not run, nor stay behind as a zombie (in the Landlock
 * fallback nothing else would reap it). */
static void stop_server(pid_t pid)
{
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

/* Ready (1), gone (0: it died and said why over the setup channel), whichever the server
 * says first, or -errno. chld: a signalfd of SIGCHLD, which init blocks; the server is its
 * only child. */
static int server_ready(int ready_r, int chld)
{
        struct pollfd p[2] = { { .fd = ready_r, .events = POLLIN }, { .fd = chld, .events = POLLIN } };
        int n;
        do
                n = poll(p, 2, -1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        char c;
        return (p[0].revents & POLLIN) && read(ready_r, &c, 1) == 1;
}

/* The server shares init's memory (CLONE_VM, as posix_spawn does: nothing to copy) and its
 * fd table (CLONE_FILES: the seccomp listener it creates is init's too; init, which no
 * filter restricts, hands it to mcpcage). The two never run at once: init waits until the
 * server is ready and the server then waits for mcpcage-init. Init leaves with a table of
 * its own (unshare) holding go's write end, on FD_INIT_GO, for mcpcage-init.
 * Returns the server's pid; dies with the server killed when it cannot. */
static pid_t spawn_server(const struct sandbox_setup *s, struct spawn_arg *a)
{
        static char stack[256 * 1024] __attribute__((aligned(16)));
        int ready[2], go[2];
        sigset_t chld_set;
        sigemptyset(&chld_set);
        sigaddset(&chld_set, SIGCHLD);
        int chld = signalfd(-1, &chld_set, SFD_CLOEXEC);
        if (chld < 0 || pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
                die_errno(errno, "starting the server");
        *a = (struct spawn_arg){ .s = s, .init_pid = getpid(), .listener = -1, .ready_w = ready[1],
                                 .go_r = go[0] };
        /* init runs on mcpcage's memory too, so this array's shadow is mcpcage's: cleared */
        pid_t pid = clone(server_main, shared_stack_prepare(stack, sizeof(stack)),
                          CLONE_VM | CLONE_FILES | SIGCHLD, a);
        if (pid < 0)
                die_errno(errno, "starting the server");
        int r = server_ready(ready[0], chld);
        if (r == 0) {
                stop_server(pid);
                _exit(125);
        }
        /* a table of init's own, without the server's 0/1/2 */
        if (r > 0 && unshare(CLONE_FILES) < 0)
                r = -errno;
        if (r > 0) {
                close(STDIN_FILENO);
                close(STDOUT_FILENO);
                close(STDERR_FILENO);
                close(chld);
                close(ready[0]);
                close(ready[1]);
                close(go[0]);
                /* FD_INIT_GO was free before the pipes (fds_arrange) and ready's are closed:
                 * go's write end is above it */
                if (dup3(go[1], FD_INIT_GO, 0) < 0)
                        r = -errno;
                close(go[1]);
        }
        if (r < 0) {
                stop_server(pid);
                die_errno(-r, "starting the server");
        }
        return pid;
}

/* clone() with CLONE_PIDFD, or without it where the kernel does not know it (before Linux
 * 5.2: EINVAL, *pidfd stays -1 and mcpcage waits by pid). */
static pid_t clone_with_pidfd(int (*fn)(void *), void *stack, int flags, void *arg, int *pidfd)
{
        *pidfd = -1;
        pid_t pid = clone(fn, stack, flags | CLONE_PIDFD, arg, pidfd);
        if (pid < 0 && errno == EINVAL)
                pid = clone(fn, stack, flags, arg);
        return pid;
}

/* What a child started on mcpcage's memory reads from it. */
struct child_arg {
        const struct sandbox_setup *s;
        const struct child_pipes *p;
        pid_t parent;
};

static _Noreturn void become_init(const struct sandbox_setup *s)
{
        bool fallback = s->mode == ISOLATION_LANDLOCK;
        if (fallback && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                die_errno(errno, "PR_SET_CHILD_SUBREAPER");
        init_block_signals(fallback);
        struct spawn_arg a;
        pid_t server = spawn_server(s, &a);
        /* From here init's fd table is its own and holds nothing of the server's (0/1/2 are
         * closed): the server's pipes close when the server's do. */
        if (a.listener >= 0) {
                sync_child_send_listener(a.listener);
                close(a.listener);
        }
        close(FD_RULESET);
        /* Memory of its own: mcpcage-init (init-main.c), which releases the server. The
         * setup channel is close-on-exec: when neither init nor the server holds it any
         * more, mcpcage knows both have left its memory. */
        char pid[24], go[16];
        snprintf(pid, sizeof(pid), "%d", (int)server);
        snprintf(go, sizeof(go), "%d", FD_INIT_GO);
        char name[] = INIT_EXE_NAME, mode[16];
        snprintf(mode, sizeof(mode), "%s", fallback ? "landlock" : "namespaces");
        char *const argv[] = { name, pid, mode, go, NULL };
        char *const envp[] = { NULL };
        execveat(FD_INIT_EXE, "", argv, envp, AT_EMPTY_PATH);
        int e = errno;
        stop_server(server);
        die_errno(e, "starting %s", INIT_EXE_NAME);
}

/* Whether mcpcage has a controlling terminal (asked before the new root hides /dev/tty).
 * Only ENXIO is a clear "none"; anything else counts as one, which keeps the new session. */
static bool has_controlling_tty(void)
{
        int fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
        if (fd >= 0) {
                close(fd);
                return true;
        }
        return errno != ENXIO;
}

/* Out of the host's process group, so kill(0, ...) or a signal to mcpcage's group (a
 * host's Ctrl-C, or a server's kill(0)) never crosses the sandbox's edge in either
 * direction. With a controlling terminal, a new session too: no terminal to push input
 * into (TIOCSTI; seccomp refuses it as well) and none of the host's job control. Without
 * one (a desktop host, CI, the bench) a new session adds nothing to that, and it costs:
 * the scheduler puts each session in its own autogroup, and a wake-up across autogroups
 * took ~6 us more per message round trip here (tests/bench/README.md). */
static void leave_host_group(bool ctty)
{
        if (ctty ? setsid() < 0 : setpgid(0, 0) < 0)
                die_errno(errno, ctty ? "setsid" : "setpgid");
}

/* Namespaces: pid 1 of new user, mount, pid, ipc, uts (and net) namespaces. */
static _Noreturn void enter_namespaces(const struct sandbox_setup *s, bool ctty)
{
        /* After mcpcage placed us in our cgroup, so the namespace's root is that cgroup. */
        if (s->refuse_userns == REFUSE_USERNS_AT_MOUNT)
                die_ns_unusable(EPERM, "making the mount namespace private (test hook)");
        /* The first steps that need the namespace's capabilities: EPERM here is a user
         * namespace without them (AppArmor's restriction), which "auto" falls back from. */
        if (unshare(CLONE_NEWCGROUP) < 0)
                errno == EPERM ? die_ns_unusable(errno, "unshare(CLONE_NEWCGROUP)")
                               : die_errno(errno, "unshare(CLONE_NEWCGROUP)");
        if (sethostname(HOSTNAME, strlen(HOSTNAME)) < 0)
                errno == EPERM ? die_ns_unusable(errno, "sethostname") : die_errno(errno, "sethostname");
        /* While init still has the namespace's CAP_NET_ADMIN: lo, and the listeners the
         * proxy serves (network "filtered"), handed to mcpcage before anything is exec'd. */
        netns_enter(&s->net);
        mounts_build_root(&s->mounts, s->shm_data, s->legacy_mounts);
        leave_host_group(ctty);
        drop_privileges(s);
        parent_death_signal(SIGKILL, 0);
        no_new_privs();
        /* Nothing in the namespace may ptrace init or read its memory. */
        if (prctl(PR_SET_DUMPABLE, 0) < 0)
                die_errno(errno, "PR_SET_DUMPABLE");
        become_init(s);
}

/* Landlock fallback: no namespaces; the same hygiene, Landlock in the server. */
static _Noreturn void enter_fallback(const struct sandbox_setup *s, pid_t parent, bool ctty)
{
        leave_host_group(ctty);
        drop_privileges(s);
        parent_death_signal(INIT_PARENT_GONE_SIGNAL, parent);
        no_new_privs();
        if (prctl(PR_SET_DUMPABLE, 0) < 0)
                die_errno(errno, "PR_SET_DUMPABLE");
        become_init(s);
}

static char sandbox_stack[512 * 1024] __attribute__((aligned(16)));

static int sandbox_main(void *arg)
{
        const struct child_arg *a = arg;
        const struct sandbox_setup *s = a->s;
        const struct child_pipes *p = a->p;
        pid_t parent = a->parent;
        /* Until the release mcpcage runs too, on the same memory: nothing here writes but
         * this stack and this file's sync descriptor (prctl() and recv() touch errno only
         * when they fail, and then the child only exits). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                _exit(125);
        sync_child_init(p->sync);
        /* mcpcage writes the uid/gid maps and places the cgroup before this. */
        if (!sync_child_wait_release())
                _exit(125);
        shared_stack_enter(sandbox_stack, sizeof(sandbox_stack));
        bool ctty = s->mode != ISOLATION_NONE && has_controlling_tty();
        enter_common(s, p, parent);
        switch (s->mode) {
        case ISOLATION_NAMESPACES: enter_namespaces(s, ctty);
        case ISOLATION_LANDLOCK: enter_fallback(s, parent, ctty);
        case ISOLATION_NONE: exec_server(s, parent, NULL);
        default: die("unknown isolation mode %d", (int)s->mode);
        }
}

/* CLONE_VM, except under valgrind (`meson test --setup valgrind`), whose clone() is a thread
 * or a fork and nothing else (3.19 stops the program on any other flags): there the child
 * is forked and runs on a copy of mcpcage's memory. The valgrind runs use --isolation none
 * only (they skip the confined modes, which need seccomp and Landlock that valgrind lacks),
 * and with isolation none the child writes nothing mcpcage reads back (server_exec_errno
 * is written only behind a seccomp filter). */
static int spawn_memory_flag(void)
{
#if MCPCAGE_HAVE_VALGRIND_H
        if (RUNNING_ON_VALGRIND)
                return 0;
#endif
        return CLONE_VM;
}

/* The child shares mcpcage's memory, as posix_spawn's does, but for longer: through the
 * whole setup, until init's execve() of mcpcage-init (become_init), or the server's own
 * with isolation none. Forked, it would copy mcpcage's page tables, and every page either
 * process wrote afterwards would cost a copy-on-write fault (~35 us here, a TLB flush
 * included) for the whole session: ~3 ms of every start (tests/bench/README.md, eighth
 * round). Shared memory needs that the two never run at once: the child runs on its own
 * stack and writes nothing else until mcpcage releases it (sandbox_main), and mcpcage,
 * from the release on, only waits for the child's end of the setup channel to close
 * (launch.c wait_shared_memory_left), which happens at that execve() or at the child's
 * death. No CLONE_VFORK: mcpcage writes the maps and places the cgroup while the child
 * waits for the release (with isolation none it releases it at once). Signals are blocked
 * in mcpcage (its signalfd) and the child has its own handler table, so no handler of
 * mcpcage's runs on the shared memory. */
pid_t sandbox_spawn(const struct sandbox_setup *s, const struct child_pipes *p, int *pidfd)
{
        /* Static: the child reads it after this frame is gone. */
        static struct child_arg a;
        a = (struct child_arg){ .s = s, .p = p, .parent = getpid() };
        server_exec_errno = 0;
        return clone_with_pidfd(sandbox_main, shared_stack_prepare(sandbox_stack, sizeof(sandbox_stack)),
                                spawn_memory_flag() | (int)s->clone_flags | SIGCHLD, &a, pidfd);
}
