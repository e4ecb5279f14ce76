/* The relay's syscall allow-list (selfconfine.h). Each row names what needs it; a syscall
 * that is not here traps (SIGSYS, never run). The list was taken from strace of sessions
 * with every feature the relay serves after the start (audit writes and SIGHUP reopen, pins,
 * the kill switch, seccomp notifications, cgroup events and removal, the network proxy's
 * events, the shutdown sequence) and checked by running the whole test suite confined.
 *
 * What is missing on purpose, and the threat each absence answers (a parser bug turned
 * into code execution by a hostile server): execve/execveat (run a shell), fork, vfork,
 * clone, clone3 (a process outside the filter's reach is impossible anyway, but a child
 * could exec), socket, socketpair, connect, bind, sendto/sendmsg (exfiltrate, reach the
 * network or a local daemon), ptrace, process_vm_*, pidfd_getfd (other processes'
 * memory and descriptors), mount and the namespaces, bpf, io_uring (a second way to every
 * syscall), memfd_create, and PROT_EXEC in mmap/mprotect (no new executable code). */
#include "relay/selfconfine-internal.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "util/cleanup.h"

#if MCPCAGE_SANITIZE || defined(__SANITIZE_ADDRESS__)
#define SELFCONFINE_SANITIZER 1
#else
#define SELFCONFINE_SANITIZER 0
#endif

static const char *const ALLOWED[] = {
        /* the event loop (relay/loop.c): epoll over pipes, the signalfd, the timerfd, the
         * pidfd, the seccomp listener, inotify for the kill switch and the cgroup events */
        "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "poll", "ppoll",
        "read", "readv", "write", "writev", "close", "close_range", "fcntl", "lseek",
        "signalfd4", "timerfd_create", "timerfd_settime", "timerfd_gettime",
        "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
        /* the server: the shutdown's SIGTERM/SIGKILL (arguments below), reaping it */
        "wait4", "waitid",
        /* files, each also under Landlock: the audit log reopened on SIGHUP, pins written
         * (a temporary renamed over the pin), the kill switch stat()ed, the cgroup leaves
         * read and removed, /proc/PID/status of a seccomp violation; openat2 with O_PATH
         * is the path rule's symlink check (inspect/rules/paths.c), which opens nothing
         * for reading or writing, and whose descriptors close_range closes in batches */
        "open", "openat", "openat2", "fstat", "newfstatat", "stat", "lstat", "statx", "statfs", "fstatfs",
        "readlink", "readlinkat", "access", "faccessat", "faccessat2", "getdents64",
        "mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "rmdir",
        "fchmod",
        /* memory (mmap and mprotect below: never PROT_EXEC) */
        "brk", "munmap", "mremap", "madvise",
        /* signals: the alert pipe's SIGPIPE handling (audit/alert.c), abort() */
        "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait",
        /* time, identity, randomness (mkostemp), locks */
        "clock_gettime", "clock_getres", "gettimeofday", "time", "clock_nanosleep", "nanosleep",
        "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getrandom",
        "futex", "sched_yield",
        "exit", "exit_group", "restart_syscall",
        NULL
};

/* ioctl: the seccomp listener (sandbox/violations.c) and isatty(). */
static const unsigned long IOCTLS[] = {
        SECCOMP_IOCTL_NOTIF_RECV, SECCOMP_IOCTL_NOTIF_SEND, SECCOMP_IOCTL_NOTIF_ID_VALID, TCGETS,
};

/* What the SIGSYS handler can name (the rest by number). */
static const struct { long nr; const char *name; } NAMES[] = {
        { SYS_execve, "execve" }, { SYS_execveat, "execveat" }, { SYS_fork, "fork" },
        { SYS_vfork, "vfork" }, { SYS_clone, "clone" }, { SYS_clone3, "clone3" },
        { SYS_socket, "socket" }, { SYS_socketpair, "socketpair" }, { SYS_connect, "connect" },
        { SYS_bind, "bind" }, { SYS_sendto, "sendto" }, { SYS_sendmsg, "sendmsg" },
        { SYS_ptrace, "ptrace" }, { SYS_mmap, "mmap" }, { SYS_mprotect, "mprotect" },
        { SYS_kill, "kill" }, { SYS_tgkill, "tgkill" }, { SYS_ioctl, "ioctl" },
        { SYS_mount, "mount" }, { SYS_unshare, "unshare" }, { SYS_setns, "setns" },
        { SYS_prctl, "prctl" }, { SYS_memfd_create, "memfd_create" }, { SYS_bpf, "bpf" },
        { SYS_process_vm_readv, "process_vm_readv" }, { SYS_pidfd_getfd, "pidfd_getfd" },
        { SYS_io_uring_setup, "io_uring_setup" },
};

const char *selfconfine_syscall_name(long nr)
{
        for (size_t i = 0; i < sizeof(NAMES) / sizeof(NAMES[0]); i++)
                if (NAMES[i].nr == nr)
                        return NAMES[i].name;
        return NULL;
}

static void release_ctx(scmp_filter_ctx *c) { if (*c) seccomp_release(*c); }

static int add(scmp_filter_ctx ctx, int nr, unsigned n, const struct scmp_arg_cmp *cmp, const char *what,
               struct mc_error *err)
{
        int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);
        if (r < 0)
                return mc_error_errno(err, -r, "relay seccomp: allowing %s", what);
        return 0;
}

/* The rows with arguments. kill: a pid from 0 to INT_MAX as the kernel reads it (the
 * upper 33 bits clear), never -1 (every process of the user, the host's included) nor
 * another process group: the relay signals its server, the proxy and the members of the
 * server's cgroup. tgkill: a thread of this process (abort()). mmap/mprotect: no PROT_EXEC. */
static int add_with_args(scmp_filter_ctx ctx, struct mc_error *err)
{
        const uint64_t pid = (uint64_t)getpid();
        struct scmp_arg_cmp one_pid[] = {
                { .arg = 0, .op = SCMP_CMP_MASKED_EQ, .datum_a = ~(uint64_t)INT32_MAX, .datum_b = 0 },
        };
        struct scmp_arg_cmp own[] = { { .arg = 0, .op = SCMP_CMP_EQ, .datum_a = pid, .datum_b = 0 } };
        struct scmp_arg_cmp noexec[] = {
                { .arg = 2, .op = SCMP_CMP_MASKED_EQ, .datum_a = PROT_EXEC, .datum_b = 0 },
        };
        int r = add(ctx, SCMP_SYS(kill), 1, one_pid, "kill", err);
        if (r == 0)
                r = add(ctx, SCMP_SYS(tgkill), 1, own, "tgkill", err);
        if (r == 0)
                r = add(ctx, SCMP_SYS(mmap), 1, noexec, "mmap", err);
        if (r == 0)
                r = add(ctx, SCMP_SYS(mprotect), 1, noexec, "mprotect", err);
        for (size_t i = 0; r == 0 && i < sizeof(IOCTLS) / sizeof(IOCTLS[0]); i++) {
                struct scmp_arg_cmp cmd[] = { { .arg = 1, .op = SCMP_CMP_EQ, .datum_a = IOCTLS[i], .datum_b = 0 } };
                r = add(ctx, SCMP_SYS(ioctl), 1, cmd, "ioctl", err);
        }
        return r;
}

#if SELFCONFINE_SANITIZER
/* ASan+UBSan builds only (tests, never shipped). LeakSanitizer's check at exit runs in a
 * task sharing the relay's memory (clone with CLONE_VM) that lists /proc/PID/task and
 * ptrace-stops the relay to read its registers; the runtime sets its alternate signal
 * stack. A task with CLONE_VM still cannot exec: execve stays refused.
 *
 * And anything else not allowed answers EPERM here instead of trapping: a syscall the
 * runtime makes only on its rare paths (a report, its symbolizer) must fail and let the
 * report print, not kill the process or leave LeakSanitizer waiting for ever on its dead
 * task. What the threats need trapped traps in these builds too (TRAPPED). */
static const char *const SANITIZER[] = { "ptrace", "prctl", "sigaltstack", "sched_getaffinity", "getdents",
                                         "getrlimit", "prlimit64", "setrlimit", NULL };
static const char *const TRAPPED[] = { "execve", "execveat", "fork", "vfork", "clone3", "socket",
                                       "socketpair", "connect", "bind", "mount", "unshare", "setns",
                                       "memfd_create", "bpf", "process_vm_readv", "process_vm_writev",
                                       "pidfd_getfd", "io_uring_setup", NULL };

static int trap(scmp_filter_ctx ctx, int nr, unsigned n, const struct scmp_arg_cmp *cmp, const char *what,
                struct mc_error *err)
{
        int r = seccomp_rule_add_array(ctx, SCMP_ACT_TRAP, nr, n, cmp);
        if (r < 0)
                return mc_error_errno(err, -r, "relay seccomp: trapping %s", what);
        return 0;
}

static int add_sanitizer(scmp_filter_ctx ctx, size_t *n, struct mc_error *err)
{
        struct scmp_arg_cmp vm[] = { { .arg = 0, .op = SCMP_CMP_MASKED_EQ, .datum_a = CLONE_VM, .datum_b = CLONE_VM } };
        struct scmp_arg_cmp no_vm[] = { { .arg = 0, .op = SCMP_CMP_MASKED_EQ, .datum_a = CLONE_VM, .datum_b = 0 } };
        struct scmp_arg_cmp exec[] = {
                { .arg = 2, .op = SCMP_CMP_MASKED_EQ, .datum_a = PROT_EXEC, .datum_b = PROT_EXEC },
        };
        int r = add(ctx, SCMP_SYS(clone), 1, vm, "clone", err);
        for (const char *const *s = SANITIZER; r == 0 && *s; s++)
                r = add(ctx, seccomp_syscall_resolve_name(*s), 0, NULL, *s, err);
        if (r == 0)
                r = trap(ctx, SCMP_SYS(clone), 1, no_vm, "clone", err);
        if (r == 0)
                r = trap(ctx, SCMP_SYS(mmap), 1, exec, "mmap", err);
        if (r == 0)
                r = trap(ctx, SCMP_SYS(mprotect), 1, exec, "mprotect", err);
        for (const char *const *s = TRAPPED; r == 0 && *s; s++)
                r = trap(ctx, seccomp_syscall_resolve_name(*s), 0, NULL, *s, err);
        *n += 1 + sizeof(SANITIZER) / sizeof(SANITIZER[0]) - 1;
        return r;
}
#endif

/* seccomp(2) itself, as the kernel (or valgrind) answers it. */
static int seccomp_available(struct mc_error *err)
{
        uint32_t action = SECCOMP_RET_TRAP;
        if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
                return 0;
        int e = errno;
        if (e == ENOSYS || e == EINVAL || e == EPERM || e == EACCES)
                return mc_error_set(err, EOPNOTSUPP, "seccomp(2) is not available (%s%s)",
                                      strerrorname_np(e), e == ENOSYS ? ": valgrind, or a kernel without it" : "");
        return mc_error_errno(err, e, "relay seccomp: probing seccomp(2)");
}

int selfconfine_seccomp_build(void **filter, size_t *n_syscalls, struct mc_error *err)
{
        *filter = NULL;
        *n_syscalls = 0;
        int r = seccomp_available(err);
        if (r < 0)
                return r;
        _cleanup_(release_ctx) scmp_filter_ctx ctx = seccomp_init(SELFCONFINE_SANITIZER ? SCMP_ACT_ERRNO(EPERM)
                                                                                 : SCMP_ACT_TRAP);
        if (!ctx)
                return mc_error_set(err, ENOMEM, "relay seccomp: seccomp_init failed");
        /* i386 (int 0x80) and x32 numbers: not in the filter, killed outright */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r == 0)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r < 0)
                return mc_error_errno(err, -r, "relay seccomp: setting the filter's attributes");
        size_t n = 0;
        for (const char *const *s = ALLOWED; *s; s++, n++) {
                int nr = seccomp_syscall_resolve_name(*s);
                if (nr == __NR_SCMP_ERROR)
                        return mc_error_set(err, EINVAL, "relay seccomp: unknown syscall %s", *s);
                r = add(ctx, nr, 0, NULL, *s, err);
                if (r < 0)
                        return r;
        }
        r = add_with_args(ctx, err);
        if (r < 0)
                return r;
        n += 5; /* kill, tgkill, mmap, mprotect, ioctl */
#if SELFCONFINE_SANITIZER
        r = add_sanitizer(ctx, &n, err);
        if (r < 0)
                return r;
#endif
        *filter = TAKE_PTR(ctx);
        *n_syscalls = n;
        return 0;
}

int selfconfine_seccomp_load(void *filter)
{
        return seccomp_load((scmp_filter_ctx)filter);
}

void selfconfine_seccomp_free(void *filter)
{
        if (filter)
                seccomp_release((scmp_filter_ctx)filter);
}
