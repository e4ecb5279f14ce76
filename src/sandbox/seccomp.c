/* Compiling the profile into BPF in mcpcage (once per launch) and loading it in the server. */
#include "sandbox/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Without these the server could neither start nor end: a refused read, write or execve()
 * (its last steps before it runs, enter.c exec_server) or exit would park it on a
 * notification nobody can answer yet (the listener reaches mcpcage only once the server's
 * execve() returned). The first UNREFUSABLE_TO_START are needed to start. */
static const char *const UNREFUSABLE[] = { "read", "write", "execve", "exit", "exit_group", NULL };
#define UNREFUSABLE_TO_START 3

const char *seccomp_profile_name(enum seccomp_profile p)
{
        switch (p) {
        case SECCOMP_PROFILE_DEFAULT: return "default";
        case SECCOMP_PROFILE_STRICT: return "strict";
        case SECCOMP_PROFILE_NONE: return "none";
        default: return "?";
        }
}

const char *seccomp_action_name(enum seccomp_action a)
{
        switch (a) {
        case SECCOMP_ACTION_ERRNO: return "errno";
        case SECCOMP_ACTION_KILL: return "kill";
        case SECCOMP_ACTION_LOG: return "log";
        default: return "?";
        }
}

const char *seccomp_net_name(enum seccomp_net n)
{
        switch (n) {
        case SECCOMP_NET_NONE: return "none";
        case SECCOMP_NET_LOOPBACK: return "loopback";
        case SECCOMP_NET_FILTERED: return "filtered";
        case SECCOMP_NET_HOST: return "host";
        default: return "?";
        }
}

static int from_name(const char *s, const char *const *names, int n, int dflt)
{
        for (int i = 0; s && i < n; i++)
                if (!strcmp(s, names[i]))
                        return i;
        return dflt;
}

static char **names_of(json_t *list)
{
        size_t n = json_array_size(list);
        char **v = calloc(n + 1, sizeof(*v));
        for (size_t i = 0; v && i < n; i++)
                v[i] = (char *)json_string_value(json_array_get(list, i));
        return v;
}

int seccomp_plan_from_policy(const struct policy *p, struct seccomp_plan *out, struct mc_error *err)
{
        static const char *const profiles[] = { "none", "default", "strict" };
        static const char *const actions[] = { "errno", "kill", "log" };
        static const char *const nets[] = { "none", "loopback", "filtered", "host" };
        const char *file = p->path ? p->path : "policy";
        json_t *sc = json_object_get(p->root, "seccomp");
        const char *profile = json_string_value(json_object_get(sc, "profile"));
        const char *action = json_string_value(json_object_get(sc, "action"));
        struct seccomp_params par = {
                .profile = from_name(profile, profiles, 3, SECCOMP_PROFILE_DEFAULT),
                .action = from_name(action, actions, 3, -1),
                .net = from_name(json_string_value(json_pointer_get(p->root, "/network/mode")), nets, 4,
                                 SECCOMP_NET_NONE),
        };
        if ((int)par.action < 0)
                par.action = par.profile == SECCOMP_PROFILE_STRICT ? SECCOMP_ACTION_KILL : SECCOMP_ACTION_ERRNO;
        _cleanup_free_ char **deny = names_of(json_object_get(sc, "deny"));
        _cleanup_free_ char **allow = names_of(json_object_get(sc, "allow"));
        if (!deny || !allow)
                return mc_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; deny[i]; i++)
                for (const char *const *u = UNREFUSABLE; *u; u++)
                        if (!strcmp(deny[i], *u))
                                return mc_error_set(err, EINVAL, "%s: /seccomp/deny/%zu: \"%s\" cannot be "
                                                    "refused: the server could not %s", file, i, *u,
                                                    u < UNREFUSABLE + UNREFUSABLE_TO_START ? "start" : "exit");
        par.deny = (const char *const *)deny;
        par.allow = (const char *const *)allow;
        int r = seccomp_plan_build(&par, out, err);
        return r < 0 ? mc_error_prefix(err, "%s: /seccomp", file) : 0;
}

static uint64_t now_ns(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* libseccomp writes the program to an fd; a memfd keeps it off the filesystem. */
static int export_bpf(scmp_filter_ctx ctx, struct seccomp_plan *out, struct mc_error *err)
{
        _cleanup_close_ int fd = memfd_create("mcpcage-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return mc_error_errno(err, errno, "seccomp: memfd_create");
        int r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return mc_error_errno(err, -r, "seccomp: exporting the filter");
        struct stat st;
        if (fstat(fd, &st) < 0)
                return mc_error_errno(err, errno, "seccomp: fstat");
        size_t n = (size_t)st.st_size / sizeof(struct sock_filter);
        if (n == 0 || n > BPF_MAXINSNS || (size_t)st.st_size % sizeof(struct sock_filter))
                return mc_error_set(err, E2BIG, "seccomp: the filter has %zu instructions (the kernel "
                                    "takes at most %d)", n, BPF_MAXINSNS);
        out->prog = malloc((size_t)st.st_size);
        if (!out->prog)
                return mc_error_set(err, ENOMEM, "out of memory");
        if (pread(fd, out->prog, (size_t)st.st_size, 0) != st.st_size)
                return mc_error_errno(err, errno ? errno : EIO, "seccomp: reading the exported filter");
        out->len = (unsigned short)n;
        return 0;
}

static int by_nr(const void *a, const void *b)
{
        const struct seccomp_answer *x = a, *y = b;
        return (x->nr > y->nr) - (x->nr < y->nr);
}

static uint32_t refuse_action(enum seccomp_action a)
{
        switch (a) {
        case SECCOMP_ACTION_KILL: return SCMP_ACT_KILL_PROCESS;
        case SECCOMP_ACTION_LOG: return SCMP_ACT_LOG;
        case SECCOMP_ACTION_ERRNO:
        default: return SCMP_ACT_NOTIFY;
        }
}

static void release_ctx(scmp_filter_ctx *c) { if (*c) seccomp_release(*c); }

int seccomp_plan_build(const struct seccomp_params *par, struct seccomp_plan *out, struct mc_error *err)
{
        *out = (struct seccomp_plan){ .profile = par->profile, .action = par->action, .net = par->net };
        if (par->profile == SECCOMP_PROFILE_NONE)
                return 0;
        uint64_t t0 = now_ns();
        uint32_t refuse = refuse_action(par->action);
        uint32_t enosys = par->action == SECCOMP_ACTION_LOG ? SCMP_ACT_LOG : SCMP_ACT_NOTIFY;
        _cleanup_(release_ctx) scmp_filter_ctx ctx =
                seccomp_init(par->profile == SECCOMP_PROFILE_STRICT ? refuse : SCMP_ACT_ALLOW);
        if (!ctx)
                return mc_error_set(err, ENOMEM, "seccomp: seccomp_init failed");
        /* threats.md §1 "32-bit / x32 syscall entry": only the native architecture is in
         * the filter; libseccomp sends i386 (int 0x80) and x32 numbers to the bad-arch
         * action, and that kills. mcpcage sets no_new_privs itself. */
        int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r == 0)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        /* a binary search over syscall numbers: fewer instructions run per syscall */
        if (r == 0)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r < 0)
                return mc_error_errno(err, -r, "seccomp: setting the filter's attributes");
        r = seccomp_profile_add_rules(ctx, par, refuse, enosys, &out->answers, &out->n_answers, err);
        if (r < 0)
                return r;
        qsort(out->answers, out->n_answers, sizeof(*out->answers), by_nr);
        out->notify = par->action != SECCOMP_ACTION_LOG;
        r = export_bpf(ctx, out, err);
        if (r < 0) {
                seccomp_plan_clear(out);
                return r;
        }
        out->compile_ns = now_ns() - t0;
        return 0;
}

void seccomp_plan_clear(struct seccomp_plan *plan)
{
        free(plan->prog);
        free(plan->answers);
        *plan = (struct seccomp_plan){ .profile = plan->profile, .action = plan->action, .net = plan->net };
}

int seccomp_plan_load(const struct seccomp_plan *plan)
{
        if (!plan->prog)
                return 0;
        struct sock_fprog prog = { .len = plan->len, .filter = plan->prog };
        unsigned flags = plan->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        if (r < 0)
                return -errno;
        return plan->notify ? (int)r : 0;
}

int seccomp_answer_errno(const struct seccomp_answer *a, size_t n, int nr)
{
        struct seccomp_answer key = { .nr = nr };
        const struct seccomp_answer *f = n ? bsearch(&key, a, n, sizeof(*a), by_nr) : NULL;
        return f ? f->err : EPERM;
}
