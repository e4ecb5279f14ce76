/* The child, from clone() to execve(), as one ordered list (minijail's minijail_enter() and
 * bubblewrap's setup_newroot() are the models). Each step is a function in its own file; a
 * step that fails dies with one line over the sync socket, which mcpcage prints and turns
 * into exit 125. The order matters and each place says why. */
#include "sandbox/enter.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox/caps.h"
#include "sandbox/fds.h"
#include "sandbox/init.h"
#include "sandbox/mounts.h"
#include "sandbox/netns.h"
#include "sandbox/seccomp.h"
#include "sandbox/sync.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

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
        fds_arrange(p->in_r, p->out_w, p->err_w, p->sync, s->landlock_fd);
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

/* Shared between init and the server until the server's execve() (CLONE_VM). */
struct spawn_arg {
        const struct sandbox_setup *s;
        pid_t init_pid;
        int listener;           /* the seccomp listener, in the fd table both share */
        bool filtered;          /* the filter is loaded */
        int exec_errno;         /* execve() failed after that */
};

/* Seccomp, the very last step: after it the server only calls execve(). A refused syscall
 * now waits for mcpcage's answer, and mcpcage gets the listener from init only once this
 * process has exec'd (CLONE_VFORK), so nothing here may be refusable: an execve() failure is
 * left in shared memory for init to report instead of being sent from here. */
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

/* The server (pid 2 in the namespace), forked by init: the last steps before execve().
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
        execve(s->exe, s->argv, s->mode == ISOLATION_NONE ? environ : s->env.v);
        if (a && a->filtered) {
                a->exec_errno = errno;
                _exit(errno == ENOENT ? 127 : 126);
        }
        die_exec(errno, s->exe);
}

static int server_main(void *p)
{
        struct spawn_arg *a = p;
        exec_server(a->s, a->init_pid, a);
}

/* The server shares init's memory until its execve() (CLONE_VM|CLONE_VFORK, as
 * posix_spawn does): nothing to copy, and init waits. The steps before exec only make
 * syscalls and touch their own stack. It shares init's fd table too (CLONE_FILES), so the
 * seccomp listener it creates stays open in init when its execve() closes it for the
 * server; init, which no filter restricts, hands it to mcpcage. */
static pid_t spawn_server(const struct sandbox_setup *s)
{
        static char stack[256 * 1024] __attribute__((aligned(16)));
        struct spawn_arg a = { .s = s, .init_pid = getpid(), .listener = -1 };
        pid_t pid = clone(server_main, stack + sizeof(stack),
                          CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &a);
        if (pid < 0)
                die_errno(errno, "starting the server");
        if (a.exec_errno)
                die_exec(a.exec_errno, s->exe);
        if (a.listener >= 0) {
                sync_child_send_listener(a.listener);
                close(a.listener);
        }
        return pid;
}

struct unconfined_arg {
        const struct sandbox_setup *s;
        const struct child_pipes *p;
        pid_t parent;
};

static int unconfined_main(void *arg)
{
        struct unconfined_arg *a = arg;
        enter_common(a->s, a->p, a->parent);
        exec_server(a->s, a->parent, NULL);
}

/* Forked, the child would copy mcpcage's page tables, mcpcage would then take a
 * copy-on-write fault for every page it writes, and the server's execve() would tear the
 * copy down again: ~2 ms of an --isolation none start here, where a fault costs ~13 us.
 * Shared, as posix_spawn does, there is nothing to copy; the steps before execve() only
 * make syscalls, format into their own stack, and set this file's sync descriptor, which
 * mcpcage itself never reads. Signals are blocked in mcpcage (its signalfd) and the child
 * has its own handler table, so no handler of mcpcage's runs on the shared memory. */
pid_t sandbox_spawn_unconfined(const struct sandbox_setup *s, const struct child_pipes *p, int *pidfd)
{
        static char stack[256 * 1024] __attribute__((aligned(16)));
        struct unconfined_arg a = { .s = s, .p = p, .parent = getpid() };
        *pidfd = -1;
#ifdef __SANITIZE_ADDRESS__
        /* The child's frames poison the shadow of this array, and the memory, shadow
         * included, is mcpcage's own: a second spawn in one process (the unit tests) would
         * find the first one's poison. */
        __asan_unpoison_memory_region(stack, sizeof(stack));
#endif
        return clone(unconfined_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
                     &a, pidfd);
}

static _Noreturn void become_init(const struct sandbox_setup *s)
{
        bool fallback = s->mode == ISOLATION_LANDLOCK;
        if (fallback && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                die_errno(errno, "PR_SET_CHILD_SUBREAPER");
        init_block_signals(fallback);
        prctl(PR_SET_NAME, "mcpcage-init");
        pid_t server = spawn_server(s);
        /* init keeps nothing of the server's: its pipes close when the server's do, the
         * exec status reaches mcpcage from the server alone. */
        close(STDIN_FILENO);
        close(STDOUT_FILENO);
        close(STDERR_FILENO);
        close(FD_RULESET);
        sync_child_close();
        init_run(server, fallback);
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

void sandbox_enter(const struct sandbox_setup *s, const struct child_pipes *p)
{
        pid_t parent = getppid();
        bool ctty = s->mode != ISOLATION_NONE && has_controlling_tty();
        enter_common(s, p, parent);
        /* mcpcage writes the uid/gid maps (and later places the cgroup) before this. */
        if (!sync_child_wait_release())
                _exit(125);
        switch (s->mode) {
        case ISOLATION_NAMESPACES: enter_namespaces(s, ctty);
        case ISOLATION_LANDLOCK: enter_fallback(s, parent, ctty);
        case ISOLATION_NONE: exec_server(s, parent, NULL);
        default: die("unknown isolation mode %d", (int)s->mode);
        }
}
