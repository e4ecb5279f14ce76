/* probe: calls syscalls and says what each one answered, the way bubblewrap's try-syscall
 * does (tests/integration/test_seccomp.py). Arguments are chosen invalid where possible, so
 * that without a filter the kernel answers with its own argument error (EFAULT, EBADF,
 * EINVAL...) and the profile's EPERM/ENOSYS can only come from the filter; the few that
 * succeed unconfined undo nothing outside the process.
 *
 *     probe NAME...        one line per NAME on stderr: "probe: NAME RESULT", RESULT being
 *                          "ok", an errno name (EPERM), or "killed:SIGSYS"
 *     probe all            every probe of the table
 *     probe loop NAME N    NAME N times in a row (a looping server), one line at the end
 *     probe inline NAME    NAME in the probe process itself (action kill ends the server)
 *
 * Each attempt runs in a forked child, so a killed one (x32, int 0x80, action kill) is a
 * result and not the end of the probe. Output goes to stderr: stdout is the protocol, which
 * mcpcage would drop. */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

typedef long (*probe_fn)(void);

static long rc(long r) { return r < 0 ? -errno : 0; }
#define SC(...) rc(syscall(__VA_ARGS__))

/* ---- threats.md §1, the rows of the default profile, in order ---- */
static long p_unshare(void)
{
        pid_t c = fork();
        if (c == 0)
                _exit(unshare(CLONE_NEWUSER) < 0 ? errno : 0);
        int st;
        waitpid(c, &st, 0);
        return WIFEXITED(st) ? -WEXITSTATUS(st) : -EIO;
}
static long p_setns(void) { return SC(SYS_setns, -1, 0); }
static long p_mount(void) { return SC(SYS_mount, NULL, NULL, NULL, 0, NULL); }
static long p_umount2(void) { return SC(SYS_umount2, NULL, 0); }
static long p_pivot_root(void) { return SC(SYS_pivot_root, NULL, NULL); }
static long p_chroot(void) { return SC(SYS_chroot, NULL); }
static long p_clone_newuser(void)
{
        long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, NULL, NULL, 0);
        if (r == 0)
                _exit(0);
        if (r > 0)
                waitpid((pid_t)r, NULL, 0);
        return rc(r);
}
static long p_clone3(void) { return SC(SYS_clone3, NULL, 0); }
static long p_open_tree(void) { return SC(SYS_open_tree, -1, NULL, 0); }
static long p_move_mount(void) { return SC(SYS_move_mount, -1, NULL, -1, NULL, 0); }
static long p_fsopen(void) { return SC(SYS_fsopen, NULL, 0); }
static long p_fsconfig(void) { return SC(SYS_fsconfig, -1, -1, NULL, NULL, 0); }
static long p_fsmount(void) { return SC(SYS_fsmount, -1, -1, 0); }
static long p_fspick(void) { return SC(SYS_fspick, -1, NULL, -1); }
static long p_mount_setattr(void) { return SC(SYS_mount_setattr, -1, NULL, -1, NULL, 0); }
static long p_io_uring_setup(void) { return SC(SYS_io_uring_setup, 1, NULL); }
static long p_io_uring_enter(void) { return SC(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0); }
static long p_io_uring_register(void) { return SC(SYS_io_uring_register, -1, 0, NULL, 0); }
static long p_bpf(void) { return SC(SYS_bpf, -1, NULL, 0); }
static long p_perf_event_open(void) { return SC(SYS_perf_event_open, NULL, -1, -1, -1, 0); }
static long p_userfaultfd(void) { return SC(SYS_userfaultfd, -1); }
static long p_keyctl(void) { return SC(SYS_keyctl, -1, 0, 0, 0, 0); }
static long p_add_key(void) { return SC(SYS_add_key, NULL, NULL, NULL, 0, 0); }
static long p_request_key(void) { return SC(SYS_request_key, NULL, NULL, NULL, 0); }
static long p_lookup_dcookie(void) { return SC(SYS_lookup_dcookie, 0, NULL, 0); }
static long p_fanotify_init(void) { return SC(SYS_fanotify_init, -1, -1); }
static long p_open_by_handle_at(void) { return SC(SYS_open_by_handle_at, -1, NULL, 0); }
static long p_name_to_handle_at(void) { return SC(SYS_name_to_handle_at, -1, NULL, NULL, NULL, -1); }
static long p_kcmp(void) { return SC(SYS_kcmp, 0, 0, -1, 0, 0); }
static long p_pidfd_getfd(void) { return SC(SYS_pidfd_getfd, -1, -1, 0); }
static long p_process_vm_readv(void) { return SC(SYS_process_vm_readv, 0, NULL, 0, NULL, 0, 0); }
static long p_process_vm_writev(void) { return SC(SYS_process_vm_writev, 0, NULL, 0, NULL, 0, 0); }
static long p_process_madvise(void) { return SC(SYS_process_madvise, -1, NULL, 0, 0, 0); }
static long p_ptrace(void) { return SC(SYS_ptrace, 16 /* PTRACE_ATTACH */, 0, 0, 0); }
static long p_kexec_load(void) { return SC(SYS_kexec_load, 0, 0, NULL, -1); }
static long p_kexec_file_load(void) { return SC(SYS_kexec_file_load, -1, -1, 0, NULL, -1); }
static long p_reboot(void) { return SC(SYS_reboot, 0, 0, 0, NULL); }
static long p_init_module(void) { return SC(SYS_init_module, NULL, 0, NULL); }
static long p_finit_module(void) { return SC(SYS_finit_module, -1, NULL, -1); }
static long p_delete_module(void) { return SC(SYS_delete_module, NULL, 0); }
static long p_swapon(void) { return SC(SYS_swapon, NULL, 0); }
static long p_swapoff(void) { return SC(SYS_swapoff, NULL); }
static long p_acct(void) { return SC(SYS_acct, NULL); }
static long p_quotactl(void) { return SC(SYS_quotactl, -1, NULL, 0, NULL); }
static long p_quotactl_fd(void) { return SC(SYS_quotactl_fd, -1, -1, 0, NULL); }
static long p_syslog(void) { return SC(SYS_syslog, -1, NULL, 0); }
static long p_settimeofday(void) { return SC(SYS_settimeofday, NULL, NULL); }
static long p_clock_settime(void) { return SC(SYS_clock_settime, -1, NULL); }
static long p_clock_adjtime(void) { return SC(SYS_clock_adjtime, -1, NULL); }
static long p_adjtimex(void) { return SC(SYS_adjtimex, NULL); }
static long p_sethostname(void) { return SC(SYS_sethostname, NULL, -1); }
static long p_setdomainname(void) { return SC(SYS_setdomainname, NULL, -1); }
static long p_vhangup(void) { return SC(SYS_vhangup); }
static long p_uselib(void) { return SC(SYS_uselib, NULL); }
static long p_ustat(void) { return SC(SYS_ustat, 0, NULL); }
static long p_sysfs(void) { return SC(SYS_sysfs, -1, 0, 0); }
static long p__sysctl(void) { return SC(SYS__sysctl, NULL); }
static long p_nfsservctl(void) { return SC(SYS_nfsservctl, -1, NULL, NULL); }
static long p_modify_ldt(void) { return SC(SYS_modify_ldt, -1, NULL, 0); }
static long p_iopl(void) { return SC(SYS_iopl, 4); }
static long p_ioperm(void) { return SC(SYS_ioperm, 0, 0, 0); }
static long p_mbind(void) { return SC(SYS_mbind, NULL, 0, -1, NULL, 0, 0); }
static long p_set_mempolicy(void) { return SC(SYS_set_mempolicy, -1, NULL, 0); }
static long p_set_mempolicy_home_node(void) { return SC(SYS_set_mempolicy_home_node, 0, 0, -1, 0); }
static long p_migrate_pages(void) { return SC(SYS_migrate_pages, -1, 0, NULL, NULL); }
static long p_move_pages(void) { return SC(SYS_move_pages, -1, 0, NULL, NULL, NULL, 0); }
static long p_personality(void) { return SC(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */); }
static long p_personality_query(void) { return SC(SYS_personality, 0xffffffffUL); }
static long p_tiocsti(void) { return SC(SYS_ioctl, -1, 0x5412 /* TIOCSTI */, "x"); }
static long p_tiocsti_high(void) { return SC(SYS_ioctl, -1, 0xffffffff00005412ul, "x"); }
static long p_tioclinux(void) { return SC(SYS_ioctl, -1, 0x541C /* TIOCLINUX */, "x"); }
static long p_fionread(void) { return SC(SYS_ioctl, -1, FIONREAD, NULL); }
static long sock(int family, int type, int proto)
{
        long r = socket(family, type, proto);
        if (r >= 0)
                close((int)r);
        return rc(r);
}
static long p_socket_inet(void) { return sock(AF_INET, SOCK_STREAM, 0); }
static long p_socket_inet6(void) { return sock(AF_INET6, SOCK_DGRAM, 0); }
static long p_socket_packet(void) { return sock(AF_PACKET, SOCK_RAW, 0); }
static long p_socket_netlink(void) { return sock(AF_NETLINK, SOCK_RAW, 9 /* NETLINK_AUDIT */); }
static long p_socket_unix(void) { return sock(AF_UNIX, SOCK_STREAM, 0); }
/* the 32-bit entries: x32 numbers through syscall, i386 numbers through int 0x80 */
static long p_x32(void)
{
        long r;
        __asm__ volatile("syscall" : "=a"(r) : "a"(0x40000000L | SYS_getpid) : "rcx", "r11", "memory");
        return r < 0 ? r : 0;
}
static long p_int80(void)
{
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L /* i386 getpid */) : "memory");
        return r < 0 ? r : 0;
}
static long p_getpid(void) { return SC(SYS_getpid); }
static long p_getcwd(void)
{
        char buf[256];
        return SC(SYS_getcwd, buf, sizeof(buf));
}

static const struct { const char *name; probe_fn fn; } PROBES[] = {
        { "unshare", p_unshare }, { "setns", p_setns }, { "mount", p_mount }, { "umount2", p_umount2 },
        { "pivot_root", p_pivot_root }, { "chroot", p_chroot }, { "clone_newuser", p_clone_newuser },
        { "clone3", p_clone3 }, { "open_tree", p_open_tree }, { "move_mount", p_move_mount },
        { "fsopen", p_fsopen }, { "fsconfig", p_fsconfig }, { "fsmount", p_fsmount }, { "fspick", p_fspick },
        { "mount_setattr", p_mount_setattr }, { "io_uring_setup", p_io_uring_setup },
        { "io_uring_enter", p_io_uring_enter }, { "io_uring_register", p_io_uring_register },
        { "bpf", p_bpf }, { "perf_event_open", p_perf_event_open }, { "userfaultfd", p_userfaultfd },
        { "keyctl", p_keyctl }, { "add_key", p_add_key }, { "request_key", p_request_key },
        { "lookup_dcookie", p_lookup_dcookie }, { "fanotify_init", p_fanotify_init },
        { "open_by_handle_at", p_open_by_handle_at }, { "name_to_handle_at", p_name_to_handle_at },
        { "kcmp", p_kcmp }, { "pidfd_getfd", p_pidfd_getfd }, { "process_vm_readv", p_process_vm_readv },
        { "process_vm_writev", p_process_vm_writev }, { "process_madvise", p_process_madvise },
        { "ptrace", p_ptrace }, { "kexec_load", p_kexec_load }, { "kexec_file_load", p_kexec_file_load },
        { "reboot", p_reboot }, { "init_module", p_init_module }, { "finit_module", p_finit_module },
        { "delete_module", p_delete_module }, { "swapon", p_swapon }, { "swapoff", p_swapoff },
        { "acct", p_acct }, { "quotactl", p_quotactl }, { "quotactl_fd", p_quotactl_fd }, { "syslog", p_syslog },
        { "settimeofday", p_settimeofday }, { "clock_settime", p_clock_settime },
        { "clock_adjtime", p_clock_adjtime }, { "adjtimex", p_adjtimex }, { "sethostname", p_sethostname },
        { "setdomainname", p_setdomainname }, { "vhangup", p_vhangup }, { "uselib", p_uselib },
        { "ustat", p_ustat }, { "sysfs", p_sysfs }, { "_sysctl", p__sysctl }, { "nfsservctl", p_nfsservctl },
        { "modify_ldt", p_modify_ldt }, { "iopl", p_iopl }, { "ioperm", p_ioperm }, { "mbind", p_mbind },
        { "set_mempolicy", p_set_mempolicy }, { "set_mempolicy_home_node", p_set_mempolicy_home_node },
        { "migrate_pages", p_migrate_pages }, { "move_pages", p_move_pages },
        { "personality", p_personality }, { "personality_query", p_personality_query },
        { "tiocsti", p_tiocsti }, { "tiocsti_high", p_tiocsti_high }, { "tioclinux", p_tioclinux },
        { "fionread", p_fionread }, { "socket_inet", p_socket_inet }, { "socket_inet6", p_socket_inet6 },
        { "socket_packet", p_socket_packet }, { "socket_netlink", p_socket_netlink },
        { "socket_unix", p_socket_unix }, { "x32", p_x32 }, { "int80", p_int80 }, { "getpid", p_getpid },
        { "getcwd", p_getcwd },
};
#define N_PROBES (sizeof(PROBES) / sizeof(PROBES[0]))

static probe_fn find(const char *name)
{
        for (size_t i = 0; i < N_PROBES; i++)
                if (!strcmp(PROBES[i].name, name))
                        return PROBES[i].fn;
        return NULL;
}

/* The attempt in a child; its answer over a pipe, or the signal that ended it. */
static void run(const char *name, probe_fn fn, long times)
{
        int p[2];
        if (pipe(p) < 0)
                exit(2);
        pid_t c = fork();
        if (c == 0) {
                close(p[0]);
                long r = 0;
                for (long i = 0; i < times; i++)
                        r = fn();
                (void)!write(p[1], &r, sizeof(r));
                _exit(0);
        }
        close(p[1]);
        long r;
        ssize_t n = read(p[0], &r, sizeof(r));
        close(p[0]);
        int st;
        waitpid(c, &st, 0);
        if (n != sizeof(r) && WIFSIGNALED(st))
                fprintf(stderr, "probe: %s killed:%s\n", name, sigabbrev_np(WTERMSIG(st)) ?
                        sigabbrev_np(WTERMSIG(st)) : "?");
        else if (n != sizeof(r))
                fprintf(stderr, "probe: %s lost\n", name);
        else if (r == 0)
                fprintf(stderr, "probe: %s ok\n", name);
        else
                fprintf(stderr, "probe: %s %s\n", name, strerrorname_np((int)-r) ? strerrorname_np((int)-r) : "?");
}

int main(int argc, char **argv)
{
        setvbuf(stderr, NULL, _IOLBF, 0);
        if (argc == 4 && !strcmp(argv[1], "loop")) {
                probe_fn fn = find(argv[2]);
                if (!fn)
                        return 2;
                run(argv[2], fn, strtol(argv[3], NULL, 10));
                return 0;
        }
        if (argc == 3 && !strcmp(argv[1], "inline")) {
                probe_fn fn = find(argv[2]);
                if (!fn)
                        return 2;
                long r = fn();
                fprintf(stderr, "probe: %s %s\n", argv[2], r == 0 ? "ok" : strerrorname_np((int)-r));
                return 0;
        }
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "all")) {
                        for (size_t k = 0; k < N_PROBES; k++)
                                run(PROBES[k].name, PROBES[k].fn, 1);
                        continue;
                }
                probe_fn fn = find(argv[i]);
                if (!fn) {
                        fprintf(stderr, "probe: %s unknown\n", argv[i]);
                        return 2;
                }
                run(argv[i], fn, 1);
        }
        fprintf(stderr, "probe: done\n");
        return 0;
}
