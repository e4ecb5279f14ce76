/* Everything the child needs to confine itself, prepared by mcpcage before clone(): the
 * mode, the identity, the mount plan or the Landlock rules, the limits, the resolved
 * executable and the environment. Every decision and every error that can be made here is
 * made here, with the policy key that caused it; the child only executes. */
#pragma once

#include <stdbool.h>

#include "net/plan.h"
#include "sandbox/cgroup.h"
#include "sandbox/identity.h"
#include "sandbox/landlock.h"
#include "sandbox/launch.h"
#include "sandbox/mountplan.h"
#include "sandbox/rlimits.h"
#include "sandbox/seccomp.h"
#include "sandbox/strlist.h"
#include "util/error.h"

enum isolation_mode { ISOLATION_NONE, ISOLATION_NAMESPACES, ISOLATION_LANDLOCK };

/* Test hooks (-Dtest_hooks=true only), MCPCAGE_TEST_REFUSE_USERNS=clone|mount: act as a
 * kernel that refuses user namespaces would, at clone() (a sysctl) or at the first mount
 * (Ubuntu's AppArmor restriction), so the fallback is tested where userns work. */
enum { REFUSE_USERNS_NO, REFUSE_USERNS_AT_CLONE, REFUSE_USERNS_AT_MOUNT };

struct sandbox_setup {
        enum isolation_mode mode;
        bool fallback_allowed;          /* "auto": user namespaces refused -> Landlock */
        bool landlock_required;         /* require: ["landlock"] */
        bool legacy_mounts;             /* test hook: the pre-mount_setattr path */
        int refuse_userns;              /* test hook: 0, or how user namespaces are refused */
        unsigned long clone_flags;      /* CLONE_NEW* given to clone() */
        struct identity id;
        struct mount_plan mounts;
        struct landlock_plan landlock;
        int landlock_fd;                /* built before clone (fallback), else -1 */
        struct rlimits_plan rlimits;
        struct seccomp_plan seccomp;    /* compiled before clone; loaded last by the server */
        struct cgroup_limits limits;    /* limits.memory, pids, cpu */
        struct cgroup *cgroup;          /* made before clone, the child placed in it before release */
        char cgroup_why[256];           /* why there is none */
        struct net_plan net;            /* network.*: mode, allow-list, forwards, proxy port */
        int net_proxy_fd;               /* the fallback's proxy listener on the host, or -1 */
        char *exe;                      /* what execve() runs */
        char *const *argv;
        struct strlist env;             /* the server's environment (isolation none: unused) */
        struct strlist secrets;         /* env.from_file values, for redaction */
        char *workdir;
        char shm_data[96];              /* /dev/shm tmpfs options */
        char *userns_refused;           /* why the namespaces could not be used */
        struct strlist degraded;        /* what the run cannot enforce, said to the user */
};

int setup_prepare(const struct launch_config *cfg, struct sandbox_setup *s, struct mc_error *err);
/* auto mode: the user namespace was refused (why); switch to the Landlock fallback. */
int setup_fall_back(struct sandbox_setup *s, const struct launch_config *cfg, const char *why,
                    struct mc_error *err);
void setup_clear(struct sandbox_setup *s);

const char *isolation_mode_name(enum isolation_mode m);
