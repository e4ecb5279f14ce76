/* The server's syscall filter (policy.md "seccomp", threats.md §1 "Default seccomp profile").
 * mcpcage compiles the filter once per launch, before clone(), with libseccomp, into a
 * plain BPF program; the server only loads it, as the very last step before execve(), so no
 * allocation and no library call happens in the child.
 *
 * How a refusal is answered and reported. A refused syscall returns SECCOMP_RET_USER_NOTIF:
 * the kernel parks the calling thread and hands a notification to the listener fd, which
 * mcpcage's relay holds (violations.h). mcpcage records the refusal and answers with the
 * profile's errno for that syscall (seccomp_answer_errno), never with
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE: the notification only reports, it can allow nothing.
 * This fails closed: once the listener is closed (mcpcage gone), the kernel answers every
 * notified syscall ENOSYS, still a refusal, and the server is being killed anyway (parent
 * death signal, pid namespace). The alternative, SECCOMP_RET_ERRNO plus the kernel's own
 * log (SECCOMP_FILTER_FLAG_LOG), needs privilege to read the audit log back, so an
 * unprivileged user would see nothing of what the server tried.
 *
 * The other actions: "kill" is SECCOMP_RET_KILL_PROCESS (the relay reports the SIGSYS exit),
 * except for the ENOSYS rows (clone3, the new mount API, io_uring), which glibc and libuv
 * probe on every start and fall back from: killing there would kill every program, so they
 * are always answered ENOSYS. "log" is SECCOMP_RET_LOG (allowed; the kernel logs each use).
 * Non-native architectures (i386 through int 0x80, x32) are always killed. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "util/error.h"

enum seccomp_profile { SECCOMP_PROFILE_NONE, SECCOMP_PROFILE_DEFAULT, SECCOMP_PROFILE_STRICT };
enum seccomp_action { SECCOMP_ACTION_ERRNO, SECCOMP_ACTION_KILL, SECCOMP_ACTION_LOG };
/* network.mode: which socket families the filter lets through. */
enum seccomp_net { SECCOMP_NET_NONE, SECCOMP_NET_LOOPBACK, SECCOMP_NET_FILTERED, SECCOMP_NET_HOST };

/* The errno mcpcage answers a notified syscall with. */
struct seccomp_answer {
        int nr;
        int err;
};

struct seccomp_params {
        enum seccomp_profile profile;
        enum seccomp_action action;
        enum seccomp_net net;
        const char *const *deny;        /* NULL-terminated syscall names, or NULL */
        const char *const *allow;
};

struct seccomp_plan {
        enum seccomp_profile profile;
        enum seccomp_action action;
        enum seccomp_net net;
        struct sock_filter *prog;       /* the compiled filter; NULL for profile none */
        unsigned short len;             /* its instruction count */
        bool notify;                    /* has notifying rules: loaded with a listener */
        struct seccomp_answer *answers; /* sorted by nr: every syscall whose answer is not EPERM */
        size_t n_answers;
        uint64_t compile_ns;            /* what building the filter cost (the bench reports it) */
};

/* From the effective policy (/seccomp, /network/mode). Names were checked by the policy
 * loader; the ones the server cannot start or stop without are refused here. */
int seccomp_plan_from_policy(const struct policy *p, struct seccomp_plan *out, struct mc_error *err);
int seccomp_plan_build(const struct seccomp_params *par, struct seccomp_plan *out, struct mc_error *err);
void seccomp_plan_clear(struct seccomp_plan *plan);

/* In the server, after no_new_privs and everything else, right before execve(): the
 * listener fd (>= 0) when plan->notify, 0 when there is none, or -errno. */
int seccomp_plan_load(const struct seccomp_plan *plan);

/* The errno a notified syscall gets: the row's answer, EPERM for everything else. */
int seccomp_answer_errno(const struct seccomp_answer *a, size_t n, int nr);

const char *seccomp_profile_name(enum seccomp_profile p);
const char *seccomp_action_name(enum seccomp_action a);
const char *seccomp_net_name(enum seccomp_net n);

/* ---- seccomp-profiles.c: the rows of threats.md and the strict allow-list ---- */
/* Adds the profile's rules to ctx (a scmp_filter_ctx) and collects the answers; 0 or
 * -errno with err naming the syscall that could not be added. */
int seccomp_profile_add_rules(void *ctx, const struct seccomp_params *par, uint32_t refuse,
                              uint32_t enosys, struct seccomp_answer **answers, size_t *n_answers,
                              struct mc_error *err);
