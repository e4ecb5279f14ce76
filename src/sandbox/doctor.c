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
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exit_codes.h"
#include "sandbox/landlock.h"
#include "sandbox/mountattr.h"
#include "sandbox/probe.h"

#define NOBODY 65534

struct verdict {
        bool namespaces, landlock, seccomp, cgroup;
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
                                          "(kernel.apparmor_restrict_unprivileged_userns=1)" : "");
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
        long mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
        unsigned api = seccomp_api_get();
        v->seccomp = mode >= 0 && api >= 1;
        if (!v->seccomp) {
                line("seccomp", "no", "the kernel has no seccomp filter: the syscall rows of threats.md are "
                     "not enforced (degraded)");
                return;
        }
        line("seccomp", "yes", "syscall filters available (libseccomp API level %u)%s", api,
             mode == 2 ? "; mcpcage itself already runs under a filter" : "");
}

/* "0::/path" (v2) or "N:ctrl,ctrl:/path" (v1) for one controller; path without the leading
 * hierarchy, empty when absent. */
static bool own_cgroup(const char *controller, char *path, size_t n)
{
        FILE *f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return false;
        char buf[1024];
        bool found = false;
        while (!found && fgets(buf, sizeof(buf), f)) {
                buf[strcspn(buf, "\n")] = '\0';
                char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c2 = '\0';
                const char *ctrls = c1 + 1;
                bool match = controller ? (strstr(ctrls, controller) != NULL) : (!strcmp(buf, "0") && !*ctrls);
                if (match) {
                        snprintf(path, n, "%s", c2 + 1);
                        found = true;
                }
        }
        fclose(f);
        return found;
}

static bool writable_cgroup(const char *mount, const char *controller)
{
        char rel[512], dir[1024];
        if (!own_cgroup(controller, rel, sizeof(rel)))
                return false;
        snprintf(dir, sizeof(dir), "%s%s", mount, rel);
        return access(dir, W_OK) == 0;
}

static void cgroup_line(struct verdict *v)
{
        struct statfs sf;
        if (statfs("/sys/fs/cgroup", &sf) < 0) {
                line("cgroup", "no", "no /sys/fs/cgroup: limits.memory, pids and cpu are not enforced (degraded)");
                return;
        }
        if (sf.f_type == CGROUP2_SUPER_MAGIC) {
                v->cgroup = writable_cgroup("/sys/fs/cgroup", NULL);
                line("cgroup", "v2", "unified hierarchy; this user %s create child cgroups%s", v->cgroup ? "can" : "cannot",
                     v->cgroup ? ": limits.memory, pids, cpu enforced" : " (no delegation): memory, pids, cpu limits degraded");
                return;
        }
        bool mem = writable_cgroup("/sys/fs/cgroup/memory", "memory");
        bool pids = writable_cgroup("/sys/fs/cgroup/pids", "pids");
        bool cpu = writable_cgroup("/sys/fs/cgroup/cpu", "cpu");
        struct stat st;
        bool hybrid = stat("/sys/fs/cgroup/unified", &st) == 0;
        v->cgroup = mem && pids;
        line("cgroup", hybrid ? "hybrid" : "v1", "controllers on v1%s; this user can create child cgroups for "
             "memory: %s, pids: %s, cpu: %s%s", hybrid ? " (a v2 hierarchy without them beside)" : "",
             mem ? "yes" : "no", pids ? "yes" : "no", cpu ? "yes" : "no",
             v->cgroup ? "" : " (what is missing is degraded)");
}

static void bpf_line(void)
{
        long disabled = 0;
        probe_sysctl("/proc/sys/kernel/unprivileged_bpf_disabled", &disabled);
        capng_get_caps_process();
        bool cap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN) == 1 ||
                   capng_have_capability(CAPNG_EFFECTIVE, 39 /* CAP_BPF */) == 1;
        line("bpf", cap ? "yes" : "no", cap ? "cgroup BPF socket filters possible (network \"filtered\" by address)"
             : "not for this user (no CAP_BPF/CAP_SYS_ADMIN; unprivileged_bpf_disabled=%ld): network "
               "\"filtered\" relies on the proxy and Landlock TCP rules", disabled);
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
        small_lines();
        int rc = v.namespaces && v.seccomp && v.cgroup ? 0 : v.namespaces || v.landlock ? 1 : 2;
        printf("\n%s\n", rc == 0 ? "verdict: the default policy can be enforced here (isolation namespaces)"
               : rc == 1 ? "verdict: the default policy runs degraded here (see the lines above)"
                         : "verdict: mcpcage cannot confine a server here (no user namespaces, no Landlock)");
        return rc;
}
