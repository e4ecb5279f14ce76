/* One line per feature: what this kernel and this user have, and what it means for
 * mcpcage. Printed on stdout (doctor is not a protocol session). */
#include "sandbox/doctor.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "bpf/netbpf.h"
#include "exit_codes.h"
#include "sandbox/cgroup.h"
#include "sandbox/initexe.h"
#include "sandbox/landlock.h"
#include "sandbox/mountattr.h"
#include "sandbox/probe.h"
#include "sandbox/seccomp.h"
#include "util/dlib.h"

#define NOBODY 65534

struct verdict {
        bool namespaces, landlock, seccomp, cgroup, init;
};

static void line(const char *name, const char *status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void line(const char *name, const char *status, const char *fmt, ...)
{
        printf("%-16s %-8s ", name, status);
        va_list ap;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
}

static void userns_line(struct verdict *v)
{
        const char *step;
        int r = probe_userns((uid_t)-1, (gid_t)-1, &step);
        long apparmor = 0, clone = 1, max = 1;
        bool has_aa = probe_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", &apparmor);
        bool has_clone = probe_sysctl("/proc/sys/kernel/unprivileged_userns_clone", &clone);
        probe_sysctl("/proc/sys/user/max_user_namespaces", &max);
        v->namespaces = r == 0;
        if (r < 0) {
                line("user namespaces", "no", "refused at %s (%s)%s%s%s: mcpcage uses the Landlock fallback "
                     "(no private /tmp, host processes visible); isolation \"namespaces\" cannot run",
                     step, strerror(-r), max == 0 ? "; user.max_user_namespaces is 0" : "",
                     has_clone && clone == 0 ? "; kernel.unprivileged_userns_clone is 0" : "",
                     has_aa && apparmor ? "; AppArmor restricts unprivileged user namespaces "
                                          "(kernel.apparmor_restrict_unprivileged_userns=1): install the "
                                          "profile " MCPCAGE_DATADIR "/apparmor/mcpcage (contrib/apparmor/ "
                                          "in the source) as its README.md says" : "");
                return;
        }
        char also[160] = "";
        if (geteuid() == 0) {
                int u = probe_userns(NOBODY, NOBODY, &step);
                snprintf(also, sizeof(also), "; unprivileged users: %s%s%s", u == 0 ? "yes" : "no (",
                         u == 0 ? "" : step, u == 0 ? "" : ")");
        }
        line("user namespaces", "yes", "user, mount, pid, ipc, uts and net namespaces with mounts inside: "
             "full isolation (namespaces mode)%s%s", also,
             has_aa && apparmor ? " (AppArmor's restriction is on but does not apply to this user)" : "");
}

static void landlock_line(struct verdict *v)
{
        int abi = landlock_abi();
        v->landlock = abi > 0;
        if (abi <= 0) {
                line("landlock", "no", "not enabled (add landlock to the lsm= boot parameter): without user "
                     "namespaces mcpcage cannot confine the filesystem at all");
                return;
        }
        char status[16];
        snprintf(status, sizeof(status), "ABI %d", abi);
        line("landlock", status, "filesystem rules for the fallback%s%s%s", abi >= 4 ? ", TCP bind/connect rules" : "",
             abi >= 6 ? ", signal and abstract-socket scoping" : "",
             abi < 6 ? "; older than ABI 6: a fallback server can signal this user's processes" : "");
}

static void seccomp_line(struct verdict *v)
{
        struct seccomp_params def = { .profile = SECCOMP_PROFILE_DEFAULT, .action = SECCOMP_ACTION_ERRNO };
        struct seccomp_params str = { .profile = SECCOMP_PROFILE_STRICT, .action = SECCOMP_ACTION_KILL };
        struct seccomp_plan a = { 0 }, b = { 0 };
        struct mc_error err = { 0 };
        bool built = seccomp_plan_build(&def, &a, &err) == 0 && seccomp_plan_build(&str, &b, &err) == 0;
        long mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
        unsigned api = seccomp_api_get();
        v->seccomp = mode >= 0 && api >= 1;
        if (!v->seccomp) {
                line("seccomp", "no", "the kernel has no seccomp filter: the syscall rows of threats.md are "
                     "not enforced (degraded)");
                return;
        }
        line("seccomp", "yes", "syscall filters available (libseccomp API level %u%s); profile default "
             "%u BPF instructions, strict %u; refusals reported through a listener%s", api,
             api >= 5 ? ", user notification" : ": NO user notification, refusals cannot be reported",
             a.len, b.len, mode == 2 ? "; mcpcage itself already runs under a filter" : "");
        if (!built)
                line("seccomp", "error", "%s", err.msg);
        seccomp_plan_clear(&a);
        seccomp_plan_clear(&b);
}

/* The real thing: a leaf with a memory and a pids limit made and removed again. */
static void cgroup_line(struct verdict *v)
{
        char why[512] = "";
        struct cgroup_config cfg = { .root = "/sys/fs/cgroup", .self = "/proc/self/cgroup",
                                     .privileged = geteuid() == 0, .owner = getpid() };
        enum cgroup_kind k = cgroup_probe(&cfg, why, sizeof(why));
        v->cgroup = k != CGROUP_NONE;
        if (k == CGROUP_V2)
                line("cgroup", "v2", "a child cgroup of ours with the memory and pids controllers: limits.memory, "
                     "pids, cpu enforced, OOM kills and refused forks audited");
        else if (k == CGROUP_V1)
                line("cgroup", "v1", "v1 controllers (as root): limits.memory, pids, cpu enforced, OOM kills and "
                     "refused forks audited%s", geteuid() == 0 ? "; unprivileged users get rlimits unless a "
                     "v2 subtree is delegated to them" : "");
        else
                line("cgroup", "no", "%s: limits.memory falls back to RLIMIT_DATA, pids to RLIMIT_NPROC, cpu to "
                     "RLIMIT_CPU only with a wall_time (degraded); no OOM records", why);
}

static void bpf_line(void)
{
        long disabled = 0;
        probe_sysctl("/proc/sys/kernel/unprivileged_bpf_disabled", &disabled);
        capng_get_caps_process();
        bool cap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN) == 1 ||
                   capng_have_capability(CAPNG_EFFECTIVE, 39 /* CAP_BPF */) == 1;
        if (!netbpf_built()) {
                line("bpf", "no", "this build has no cgroup BPF programs (clang or bpftool missing when it was "
                     "built): network \"host\" with addresses in network.allow is not enforced");
                return;
        }
        struct mc_error why = { 0 };
        if (cap && netbpf_load_library(&why) < 0) {
                line("bpf", "no", "%s: network \"host\" with network.allow is not enforced (degraded); "
                     "\"filtered\" uses the proxy in a namespace", why.msg);
                return;
        }
        line("bpf", cap ? "yes" : "no", cap ? "cgroup BPF programs enforce network.allow's addresses in network "
             "\"host\" (connect and sendmsg, IPv4 and IPv6)"
             : "not for this user (no CAP_BPF/CAP_SYS_ADMIN; unprivileged_bpf_disabled=%ld): network \"host\" "
               "with network.allow is not enforced (degraded); \"filtered\" uses the proxy in a namespace", disabled);
}

/* Speed, not confinement: without it the same redactions are found, slower. */
static void hyperscan_line(void)
{
#if MCPCAGE_HAVE_HYPERSCAN
        /* Its runtime scans; its compiler builds a database the cache does not have yet. */
        struct { int (*valid_platform)(void); } hs;
        struct { void *compile_lit_multi; } hc;
        static const struct dlib_symbol sym[] = { { "hs_valid_platform", 0 } };
        static const struct dlib_symbol csym[] = { { "hs_compile_lit_multi", 0 } };
        struct mc_error why = { 0 };
        if (dlib_open(MCPCAGE_HS_RUNTIME_SONAME, sym, 1, &hs, &why) < 0 ||
            dlib_open(MCPCAGE_HS_SONAME, csym, 1, &hc, &why) < 0)
                line("hyperscan", "no", "%s: the portable gate finds the redaction anchors (the same "
                     "redactions, slower)", why.msg);
        else if (hs.valid_platform() != 0)
                line("hyperscan", "no", "this CPU cannot run it (no SSSE3): the portable gate finds the "
                     "redaction anchors (the same redactions, slower)");
        else
                line("hyperscan", "yes", "the redaction anchors are found in one pass (%s, opened by a "
                     "session that redacts; %s compiles them when they are not cached yet)",
                     MCPCAGE_HS_RUNTIME_SONAME, MCPCAGE_HS_SONAME);
#else
        line("hyperscan", "no", "this build has no Hyperscan (libhyperscan-dev missing when it was built): "
             "the portable gate finds the redaction anchors (the same redactions, slower)");
#endif
}

/* Every confined run starts it: without it only --isolation none runs. */
static void init_line(struct verdict *v)
{
        struct mc_error err = { 0 };
        int fd = init_exe_open(NULL, &err);
        v->init = fd >= 0;
        if (fd < 0) {
                line("init", "no", "%s; every confined run refuses to start (exit 125), only --isolation "
                     "none runs", err.msg);
                return;
        }
        char link[64], path[4096];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof(path) - 1);
        path[n > 0 ? n : 0] = '\0';
        close(fd);
        line("init", "yes", "the sandbox's init, %s", path);
}

/* fs.suid_dumpable: at 1 ("debug", which the kernel calls insecure) a process is dumpable
 * again after each uid change, and init changes its uid on mcpcage's own memory (enter.c):
 * for the moment until it makes itself non-dumpable, a process of the server's user on the
 * host could attach to it. Said, not counted in the verdict. */
static void suid_dumpable_line(void)
{
        long value;
        if (!probe_sysctl("/proc/sys/fs/suid_dumpable", &value)) {
                line("suid_dumpable", "?", "fs.suid_dumpable could not be read");
                return;
        }
        if (value == 1)
                line("suid_dumpable", "1", "fs.suid_dumpable=1 (the kernel's insecure debugging setting): a "
                     "process is traceable by its new user after each uid change, the sandbox's init "
                     "too, for a moment; 0 or 2 closes that");
        else
                line("suid_dumpable", value == 2 ? "2" : "0", "a process that changes its uid cannot "
                     "be traced for it (fs.suid_dumpable)");
}

static void small_lines(void)
{
        int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        line("pidfd", fd >= 0 ? "yes" : "no", fd >= 0 ? "the server is watched through a pidfd: no pid reuse race"
             : "pid-based waiting only (Linux < 5.3)");
        if (fd >= 0)
                close(fd);
        bool ms = mount_attr_supported();
        line("mount_setattr", ms ? "yes" : "no", ms ? "read-only binds are made read-only recursively in one call"
             : "each submount is remounted read-only in turn (Linux < 5.12)");
}

int doctor_run(int argc, char **argv)
{
        (void)argv;
        if (argc > 1) {
                fprintf(stderr, "mcpcage: doctor takes no arguments\n");
                return EXIT_MCPCAGE_ERROR;
        }
        struct verdict v = { 0 };
        userns_line(&v);
        landlock_line(&v);
        seccomp_line(&v);
        cgroup_line(&v);
        bpf_line();
        init_line(&v);
        suid_dumpable_line();
        small_lines();
        hyperscan_line();
        int rc = !v.init ? 2 : v.namespaces && v.seccomp && v.cgroup ? 0 : v.namespaces || v.landlock ? 1 : 2;
        printf("\n%s\n", rc == 0 ? "verdict: the default policy can be enforced here (isolation namespaces)"
               : rc == 1 ? "verdict: the default policy runs degraded here (see the lines above)"
                         : !v.init ? "verdict: mcpcage cannot confine a server here (mcpcage-init is missing)"
                                   : "verdict: mcpcage cannot confine a server here (no user namespaces, no Landlock)");
        return rc;
}
