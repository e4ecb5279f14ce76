/* The relay's self-confinement (selfconfine.h): prepared before session_start, applied
 * right after it, before the relay reads anything from the server. */
#include "relay/selfconfine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "exit_codes.h"
#include "relay/enforcement.h"
#include "relay/selfconfine-internal.h"
#include "sandbox/landlock.h"
#include "util/cleanup.h"
#include "util/log.h"

static int degrade(struct selfconfine *sc, const char *what, const char *why)
{
        char line[MC_ERROR_MAX + 64];
        snprintf(line, sizeof(line), "%s: %s", what, why);
        if (json_array_append_new(sc->degraded, json_string(line)) < 0)
                return -ENOMEM;
        return 0;
}

static int prepare_landlock(const struct selfconfine_config *cfg, struct selfconfine *sc,
                            struct mc_error *err)
{
        sc->landlock_abi = landlock_abi();
        if (sc->landlock_abi < 1)
                return degrade(sc, "landlock", "not available on this kernel (off, too old, or valgrind)");
        int r = selfconfine_landlock_build(cfg, sc->landlock_abi, &sc->ruleset_fd, &sc->n_rules, err);
        sc->landlock = r >= 0;
        return r;
}

static int prepare_seccomp(struct selfconfine *sc, struct mc_error *err)
{
        struct mc_error why = { 0 };
        int r = selfconfine_seccomp_build(&sc->filter, &sc->n_syscalls, &why);
        if (r == -EOPNOTSUPP)
                return degrade(sc, "seccomp", why.msg);
        if (r < 0)
                *err = why;
        return r;
}

static bool test_disabled(void)
{
#if MCPCAGE_TEST_HOOKS
        return getenv("MCPCAGE_TEST_NO_SELFCONFINE") != NULL;
#else
        return false;
#endif
}

int selfconfine_prepare(const struct selfconfine_config *cfg, struct selfconfine *sc,
                        struct mc_error *err)
{
        *sc = (struct selfconfine)SELFCONFINE_INIT;
        sc->degraded = json_array();
        if (!sc->degraded)
                return mc_error_set(err, ENOMEM, "out of memory");
        if (test_disabled()) {
                sc->disabled = true;
                int r = degrade(sc, "self-confinement", "disabled by MCPCAGE_TEST_NO_SELFCONFINE "
                                "(a test_hooks build)");
                return r < 0 ? mc_error_set(err, ENOMEM, "out of memory") : 0;
        }
        int r = prepare_landlock(cfg, sc, err);
        if (r >= 0)
                r = prepare_seccomp(sc, err);
        if (r == -ENOMEM && !err->code)
                mc_error_set(err, ENOMEM, "out of memory");
        if (r < 0)
                return r;
        /* Said once, never a reason not to run: the server's own sandbox is unaffected. */
        if (json_array_size(sc->degraded) > 0) {
                _cleanup_free_ char *why = enforcement_join(sc->degraded);
                log_warn("the relay runs less confined than it could: %s (mcpcage's defence in depth "
                         "against its own bugs; the server's sandbox is unaffected; see "
                         "SELF-CONFINEMENT in mcpcage(1))", why ? why : "out of memory");
        }
        return 0;
}

json_t *selfconfine_json(const struct selfconfine *sc)
{
        return json_pack("{s:s, s:I, s:i, s:I, s:O}", "seccomp", sc->filter ? "allow-list" : "none",
                         "syscalls", (json_int_t)(sc->filter ? sc->n_syscalls : 0),
                         "landlock_abi", sc->landlock ? sc->landlock_abi : 0,
                         "landlock_rules", (json_int_t)(sc->landlock ? sc->n_rules : 0),
                         "degraded", sc->degraded);
}

static void put(char **p, const char *end, const char *s)
{
        while (*s && *p < end)
                *(*p)++ = *s++;
}

/* A refused syscall: say which (async-signal-safe: no stdio, no allocation), then stop.
 * The syscall did not run. The server dies with mcpcage (its parent-death signal). */
static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
        (void)sig;
        (void)uctx;
        char msg[320], num[24], *p = msg;
        const char *end = msg + sizeof(msg);
        long nr = si->si_syscall;
        int k = (int)sizeof(num) - 1;
        num[k] = '\0';
        do
                num[--k] = (char)('0' + (nr < 0 ? 0 : nr % 10));
        while ((nr /= 10) > 0 && k > 0);
        const char *name = selfconfine_syscall_name(si->si_syscall);
        put(&p, end, "mcpcage: the relay attempted syscall ");
        put(&p, end, num + k);
        put(&p, end, name ? " (" : "");
        put(&p, end, name ? name : "");
        put(&p, end, name ? ")" : "");
        put(&p, end, ", which its self-confinement refuses; stopping (a bug in mcpcage, or an "
                     "attack through what the server sent: see SELF-CONFINEMENT in mcpcage(1))\n");
        (void)!write(STDERR_FILENO, msg, (size_t)(p - msg));
        _exit(EXIT_MCPCAGE_ERROR);
}

static int load_seccomp(struct selfconfine *sc, struct mc_error *err)
{
        struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGSYS, &sa, NULL) < 0)
                return mc_error_errno(err, errno, "relay self-confinement: SIGSYS handler");
        int r = selfconfine_seccomp_load(sc->filter);
        if (r < 0)
                return mc_error_errno(err, -r, "relay self-confinement: loading the seccomp filter");
        return 0;
}

int selfconfine_apply(struct selfconfine *sc, struct mc_error *err)
{
        if (sc->disabled || (sc->ruleset_fd < 0 && !sc->filter))
                return 0;
        /* Both need it without CAP_SYS_ADMIN; and from now on no exec could gain privileges
         * anyway (setuid helpers, file capabilities). */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return mc_error_errno(err, errno, "relay self-confinement: PR_SET_NO_NEW_PRIVS");
        if (sc->ruleset_fd >= 0) {
                int r = landlock_restrict(sc->ruleset_fd);
                if (r < 0)
                        return mc_error_errno(err, -r, "relay self-confinement: landlock_restrict_self");
                close(sc->ruleset_fd);
                sc->ruleset_fd = -1;
        }
        /* Last: the filter refuses what the steps above use (prctl, landlock_*). */
        if (sc->filter) {
                int r = load_seccomp(sc, err);
                if (r < 0)
                        return r;
        }
        log_debug("self-confinement: Landlock ABI %d (%zu rules), seccomp %s (%zu syscalls)",
                  sc->landlock ? sc->landlock_abi : 0, sc->n_rules, sc->filter ? "allow-list" : "none",
                  sc->n_syscalls);
        return 0;
}

void selfconfine_clear(struct selfconfine *sc)
{
        if (sc->ruleset_fd >= 0)
                close(sc->ruleset_fd);
        selfconfine_seccomp_free(sc->filter);
        json_decref(sc->degraded);
        *sc = (struct selfconfine)SELFCONFINE_INIT;
}
