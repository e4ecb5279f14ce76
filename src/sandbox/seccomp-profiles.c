/* The two profiles as data: the rows of threats.md §1 (profile "default" refuses them, and
 * "strict" never allows them) and the allow-list of "strict" (systemd's @system-service
 * minus every row). Each rule is added with libseccomp; the few argument checks are written
 * as unions of single masked compares, because libseccomp compares an argument once per
 * rule and offers no "masked not-equal". */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sandbox/seccomp.h"

#define END NULL

/* threats.md §1, "namespaces, mount topology": a new namespace or mount is how a server
 * would rebuild the view mcpcage built for it. */
static const char *const ROW_NAMESPACES[] = {
        "unshare", "setns", "mount", "umount", "umount2", "pivot_root", "chroot", END };
/* "new APIs that would bypass the above": clone3 carries its flags in memory a filter
 * cannot read, the new mount API and io_uring do what the filtered syscalls do without
 * passing through them. ENOSYS, so libc and libuv fall back to the filtered forms. */
static const char *const ROW_NEW_APIS[] = {
        "clone3", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
        "mount_setattr", "io_uring_setup", "io_uring_enter", "io_uring_register", END };
/* "kernel attack surface": the interfaces most kernel exploits start from, and the ones
 * that read other processes' memory or files by handle. */
static const char *const ROW_KERNEL[] = {
        "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
        "lookup_dcookie", "fanotify_init", "open_by_handle_at", "name_to_handle_at", "kcmp",
        "pidfd_getfd", "process_vm_readv", "process_vm_writev", "process_madvise", "ptrace", END };
/* "system state": what changes the machine, not the process. */
static const char *const ROW_SYSTEM[] = {
        "kexec_load", "kexec_file_load", "reboot", "init_module", "finit_module", "delete_module",
        "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog", "settimeofday",
        "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "vhangup",
        "uselib", "ustat", "sysfs", "_sysctl", "nfsservctl", END };
/* "legacy CPU, NUMA": old attack surface (modify_ldt, vm86) and memory placement that
 * affects other tenants of the machine. */
static const char *const ROW_LEGACY[] = {
        "modify_ldt", "vm86", "vm86old", "iopl", "ioperm", "mbind", "set_mempolicy",
        "set_mempolicy_home_node", "migrate_pages", "move_pages", END };

static const struct { const char *const *names; int err; } ROWS[] = {
        { ROW_NAMESPACES, EPERM }, { ROW_NEW_APIS, ENOSYS }, { ROW_KERNEL, EPERM },
        { ROW_SYSTEM, EPERM }, { ROW_LEGACY, EPERM },
};

/* systemd's @system-service (v252: @aio @basic-io @chown @default @file-system @io-event
 * @ipc @keyring @memlock @network-io @process @resources @setuid @signal @sync @timer and its
 * own extras), minus every row above, plus what threats.md keeps allowed on purpose
 * (seccomp, landlock_*: a server may confine itself further) and what the real servers
 * needed (see man/mcpcage-policy.5). clone, ioctl, personality and socket are allowed with
 * the same argument checks as in "default" (strict_arg_rules). */
static const char *const STRICT_ALLOW[] = {
        /* @default */
        "arch_prctl", "brk", "clock_getres", "clock_gettime", "clock_nanosleep", "execve", "exit",
        "exit_group", "futex", "futex_waitv", "get_robust_list", "get_thread_area", "getegid",
        "geteuid", "getgid", "getgroups", "getpgid", "getpgrp", "getpid", "getppid", "getrandom",
        "getresgid", "getresuid", "getrlimit", "getsid", "gettid", "gettimeofday", "getuid",
        "membarrier", "mmap", "mprotect", "munmap", "nanosleep", "pause", "prlimit64",
        "restart_syscall", "rseq", "rt_sigreturn", "sched_getaffinity", "sched_yield",
        "set_robust_list", "set_thread_area", "set_tid_address", "time",
        /* @basic-io */
        "close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64", "preadv", "preadv2",
        "pwrite64", "pwritev", "pwritev2", "read", "readv", "write", "writev",
        /* @chown */
        "chown", "fchown", "fchownat", "lchown",
        /* @file-system */
        "access", "chdir", "chmod", "creat", "faccessat", "faccessat2", "fallocate", "fchdir",
        "fchmod", "fchmodat", "fcntl", "fgetxattr", "flistxattr", "fremovexattr", "fsetxattr",
        "fstat", "fstatfs", "ftruncate", "futimesat", "getcwd", "getdents", "getdents64",
        "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
        "lgetxattr", "link", "linkat", "listxattr", "llistxattr", "lremovexattr", "lsetxattr",
        "lstat", "mkdir", "mkdirat", "mknod", "mknodat", "newfstatat", "open", "openat", "openat2",
        "readlink", "readlinkat", "removexattr", "rename", "renameat", "renameat2", "rmdir",
        "setxattr", "stat", "statfs", "statx", "symlink", "symlinkat", "truncate", "unlink",
        "unlinkat", "utime", "utimensat", "utimes",
        /* @io-event */
        "_newselect", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2",
        "epoll_wait", "eventfd", "eventfd2", "poll", "ppoll", "pselect6", "select",
        /* @ipc (without process_vm_*, process_madvise) */
        "memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
        "mq_timedsend", "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2",
        "semctl", "semget", "semop", "semtimedop", "shmat", "shmctl", "shmdt", "shmget",
        /* @memlock */
        "mlock", "mlock2", "mlockall", "munlock", "munlockall",
        /* @network-io (socket: by argument) */
        "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
        "listen", "recvfrom", "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto",
        "setsockopt", "shutdown", "socketpair",
        /* @process (without clone3, setns, unshare; clone: by argument) */
        "capget", "execveat", "fork", "getrusage", "kill", "pidfd_open", "pidfd_send_signal",
        "prctl", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "tgkill", "times", "tkill", "vfork",
        "wait4", "waitid",
        /* @resources (without mbind, migrate_pages, move_pages, set_mempolicy) */
        "ioprio_set", "sched_setaffinity", "sched_setattr", "sched_setparam",
        "sched_setscheduler", "setpriority", "setrlimit",
        /* @setuid */
        "setgid", "setgroups", "setregid", "setresgid", "setresuid", "setreuid", "setuid",
        /* @signal */
        "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend", "rt_sigtimedwait",
        "sigaltstack", "signalfd", "signalfd4",
        /* @sync */
        "fdatasync", "fsync", "msync", "sync", "sync_file_range", "syncfs",
        /* @timer */
        "alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun",
        "timer_gettime", "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime",
        /* @aio (without io_uring_*) */
        "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup", "io_submit",
        /* @system-service's own */
        "capset", "copy_file_range", "fadvise64", "flock", "get_mempolicy", "getcpu",
        "getpriority", "ioprio_get", "madvise", "mremap", "readahead", "remap_file_pages",
        "sched_get_priority_max", "sched_get_priority_min", "sched_getattr", "sched_getparam",
        "sched_getscheduler", "sched_rr_get_interval", "sendfile", "setfsgid", "setfsuid",
        "setpgid", "setsid", "splice", "sysinfo", "tee", "umask", "uname", "vmsplice",
        /* kept allowed on purpose (threats.md §1) */
        "seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
        /* what the real servers needed beyond @system-service: node 20 (V8) asks for a memory
         * protection key at start; refused, it runs on, killed (action kill) it never starts */
        "pkey_alloc", "pkey_free", "pkey_mprotect",
        END };

#define CLONE_NEW_BITS { CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, \
                         CLONE_NEWPID, CLONE_NEWNET }
#define CLONE_NEW_MASK (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
                        CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
/* TIOCSTI pushes input into the terminal's other reader, TIOCLINUX can do the same on a
 * virtual console. */
/* One argument compared with one value. libseccomp's SCMP_An(op, x) leaves datum_b to the
 * compiler's implicit zero, which clang's -Wmissing-field-initializers refuses. */
#define ARG(n, cmp, x) ((struct scmp_arg_cmp){ .arg = (n), .op = (cmp), .datum_a = (x), .datum_b = 0 })

static const uint64_t TTY_INJECT[] = { 0x5412 /* TIOCSTI */, 0x541C /* TIOCLINUX */ };
/* personality(2): PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32 and the query. Every
 * other persona (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE...) weakens the process's hardening. */
static const uint64_t PERSONAS[] = { 0, 0x8, 0x20000, 0x20008, 0xffffffff };

struct builder {
        scmp_filter_ctx ctx;
        const struct seccomp_params *par;
        uint32_t refuse, enosys, dflt;
        struct seccomp_answer *answers;
        size_t n_answers;
        struct mc_error *err;
};

static bool listed(const char *const *list, const char *name)
{
        for (; list && *list; list++)
                if (!strcmp(*list, name))
                        return true;
        return false;
}

static int nr_of(const char *name) { return seccomp_syscall_resolve_name(name); }

/* A rule whose action is the filter's default is implied (libseccomp refuses it). */
static int add(struct builder *b, uint32_t action, const char *name, unsigned n,
               const struct scmp_arg_cmp *cmp)
{
        if (action == b->dflt)
                return 0;
        int nr = nr_of(name);
        if (nr == __NR_SCMP_ERROR)
                return mc_error_set(b->err, EINVAL, "seccomp: unknown syscall \"%s\"", name);
        int r = seccomp_rule_add_array(b->ctx, action, nr, n, cmp);
        /* A syscall this architecture does not have (vm86 on x86-64) is no rule at all. */
        if (r == -EDOM || (r < 0 && nr < 0))
                return 0;
        if (r < 0)
                return mc_error_errno(b->err, -r, "seccomp: adding the rule for %s", name);
        return 0;
}

static int answer(struct builder *b, const char *name, int err)
{
        int nr = nr_of(name);
        if (nr < 0)
                return 0;
        struct seccomp_answer *a = realloc(b->answers, (b->n_answers + 1) * sizeof(*a));
        if (!a)
                return mc_error_set(b->err, ENOMEM, "out of memory");
        b->answers = a;
        a[b->n_answers++] = (struct seccomp_answer){ .nr = nr, .err = err };
        return 0;
}

/* Every x whose low 32 bits (the kernel reads ioctl's request and personality's persona as
 * unsigned int) are not in `values`, as a union of masked compares: walk the bits from the
 * top; where a branch holds none of the values, one rule covers all of it. */
static int add_complement(struct builder *b, uint32_t action, const char *name, unsigned arg,
                          const uint64_t *values, size_t n, uint64_t mask, uint64_t prefix, int bit)
{
        if (bit < 0 || n == 0)
                return 0;
        uint64_t m = mask | (1ull << bit);
        for (uint64_t side = 0; side < 2; side++) {
                uint64_t want = prefix | (side << bit);
                uint64_t sub[8];
                size_t k = 0;
                for (size_t i = 0; i < n && k < 8; i++)
                        if ((values[i] & m) == want)
                                sub[k++] = values[i];
                int r;
                if (k == 0) {
                        struct scmp_arg_cmp c = { arg, SCMP_CMP_MASKED_EQ, m, want };
                        r = add(b, action, name, 1, &c);
                } else {
                        r = add_complement(b, action, name, arg, sub, k, m, want, bit - 1);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_rows(struct builder *b)
{
        for (size_t i = 0; i < sizeof(ROWS) / sizeof(ROWS[0]); i++)
                for (const char *const *n = ROWS[i].names; *n; n++) {
                        if (listed(b->par->allow, *n))
                                continue;
                        int r = add(b, ROWS[i].err == ENOSYS ? b->enosys : b->refuse, *n, 0, NULL);
                        if (r == 0 && ROWS[i].err != EPERM)
                                r = answer(b, *n, ROWS[i].err);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* "default": refuse a namespace bit in clone's flags, a terminal injection, a weakening
 * persona, and the socket families network.mode does not allow. */
static int default_arg_rules(struct builder *b)
{
        const struct seccomp_params *p = b->par;
        int r = 0;
        if (!listed(p->allow, "clone")) {
                static const uint64_t bits[] = CLONE_NEW_BITS;
                for (size_t i = 0; r == 0 && i < sizeof(bits) / sizeof(bits[0]); i++)
                        r = add(b, b->refuse, "clone", 1, &SCMP_A0(SCMP_CMP_MASKED_EQ, bits[i], bits[i]));
        }
        for (size_t i = 0; r == 0 && !listed(p->allow, "ioctl") && i < 2; i++)
                r = add(b, b->refuse, "ioctl", 1, &SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TTY_INJECT[i]));
        if (r == 0 && !listed(p->allow, "personality"))
                r = add_complement(b, b->refuse, "personality", 0, PERSONAS, 5, 0, 0, 31);
        if (r < 0 || listed(p->allow, "socket"))
                return r;
        if (p->net == SECCOMP_NET_NONE)
                return add(b, b->refuse, "socket", 1, &ARG(0, SCMP_CMP_NE, AF_UNIX));
        static const int families[] = { AF_PACKET, AF_KEY, AF_ALG, AF_VSOCK };
        for (size_t i = 0; r == 0 && i < sizeof(families) / sizeof(families[0]); i++)
                r = add(b, b->refuse, "socket", 1, &ARG(0, SCMP_CMP_EQ, (uint64_t)families[i]));
        struct scmp_arg_cmp nl[] = { ARG(0, SCMP_CMP_EQ, AF_NETLINK), ARG(2, SCMP_CMP_NE, NETLINK_ROUTE) };
        if (r == 0)
                r = add(b, b->refuse, "socket", 2, nl);
        static const int inet[] = { AF_INET, AF_INET6 };
        for (size_t i = 0; r == 0 && i < 2; i++) {
                struct scmp_arg_cmp raw[] = { ARG(0, SCMP_CMP_EQ, (uint64_t)inet[i]),
                                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW) };
                r = add(b, b->refuse, "socket", 2, raw);
        }
        return r;
}

static bool adjusted(const struct builder *b, const char *name)
{
        return listed(b->par->deny, name) || listed(b->par->allow, name);
}

/* "strict": the same argument checks, written as what is allowed. A syscall named in
 * seccomp.allow or deny loses its checks (allowed outright, or refused by the default). */
static int strict_arg_rules(struct builder *b)
{
        uint32_t ok = SCMP_ACT_ALLOW;
        int r = 0;
        if (!adjusted(b, "clone"))
                r = add(b, ok, "clone", 1, &SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEW_MASK, 0));
        if (r == 0 && !adjusted(b, "ioctl"))
                r = add_complement(b, ok, "ioctl", 1, TTY_INJECT, 2, 0, 0, 31);
        for (size_t i = 0; r == 0 && !adjusted(b, "personality") && i < sizeof(PERSONAS) / sizeof(PERSONAS[0]); i++)
                r = add(b, ok, "personality", 1, &SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, PERSONAS[i]));
        if (r < 0 || adjusted(b, "socket"))
                return r;
        r = add(b, ok, "socket", 1, &ARG(0, SCMP_CMP_EQ, AF_UNIX));
        if (r < 0 || b->par->net == SECCOMP_NET_NONE)
                return r;
        static const int inet[] = { AF_INET, AF_INET6 };
        static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
        for (size_t i = 0; r == 0 && i < 4; i++) {
                struct scmp_arg_cmp c[] = { ARG(0, SCMP_CMP_EQ, (uint64_t)inet[i / 2]),
                                            SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, (uint64_t)types[i % 2]) };
                r = add(b, ok, "socket", 2, c);
        }
        struct scmp_arg_cmp nl[] = { ARG(0, SCMP_CMP_EQ, AF_NETLINK), ARG(2, SCMP_CMP_EQ, NETLINK_ROUTE) };
        return r < 0 ? r : add(b, ok, "socket", 2, nl);
}

static int strict_rules(struct builder *b)
{
        for (const char *const *n = STRICT_ALLOW; *n; n++) {
                if (listed(b->par->deny, *n))
                        continue;
                int r = add(b, SCMP_ACT_ALLOW, *n, 0, NULL);
                if (r < 0)
                        return r;
        }
        return strict_arg_rules(b);
}

static int socket_answer(struct builder *b)
{
        /* A refused family reads as a family this kernel lacks, which programs handle. */
        return answer(b, "socket", EAFNOSUPPORT);
}

int seccomp_profile_add_rules(void *ctx, const struct seccomp_params *par, uint32_t refuse,
                              uint32_t enosys, struct seccomp_answer **answers, size_t *n_answers,
                              struct mc_error *err)
{
        bool strict = par->profile == SECCOMP_PROFILE_STRICT;
        struct builder b = { .ctx = ctx, .par = par, .refuse = refuse, .enosys = enosys,
                             .dflt = strict ? refuse : SCMP_ACT_ALLOW, .err = err };
        int r = add_rows(&b);
        if (r == 0)
                r = strict ? strict_rules(&b) : default_arg_rules(&b);
        if (r == 0)
                r = socket_answer(&b);
        /* seccomp.deny wins over the profile and over seccomp.allow (fail closed). */
        for (const char *const *n = par->deny; r == 0 && n && *n; n++)
                r = add(&b, refuse, *n, 0, NULL);
        for (const char *const *n = par->allow; r == 0 && strict && n && *n; n++)
                if (!listed(par->deny, *n))
                        r = add(&b, SCMP_ACT_ALLOW, *n, 0, NULL);
        if (r < 0) {
                free(b.answers);
                return r;
        }
        *answers = b.answers;
        *n_answers = b.n_answers;
        return 0;
}
