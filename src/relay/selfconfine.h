/* The relay confines itself once the server runs (design.md "Process model"). Everything a
 * hostile server sends is parsed by this process: a bug in the framer, the inspector or
 * jansson would otherwise hand the server the user's full rights outside the sandbox (read
 * ~/.ssh, run a shell, open a socket). So right after the server started, and before the
 * relay reads a single byte from it, mcpcage gives up what it never needs again:
 *
 *   - Landlock: files only where the relay still writes or reads (the audit log's
 *     directory, the pins, the server's cgroup leaves, /proc for a violation's pid, the
 *     host's stderr device); no execute right anywhere; no TCP; no abstract Unix socket
 *     outside its domain.
 *   - seccomp: an allow-list of the syscalls the event loop, the audit writes, the signal
 *     handling and the teardown use. No execve, no fork or clone, no socket, no ptrace, no
 *     mount, no executable memory. Anything else traps: a SIGSYS handler says which syscall
 *     on stderr and the process exits (EXIT_MCPCAGE_ERROR); the syscall never runs. The
 *     server dies with it (its parent-death signal).
 *
 * The alert command and syslog go through a helper forked by audit_open before any of this
 * (audit/alert.c); the network proxy is a process of its own with its own confinement
 * (sandbox/netproxy.c). The relay itself never forks or execs after the start.
 *
 * Where the kernel lacks one of the two (or valgrind, which implements neither), mcpcage
 * says so once on stderr, records it in session_start.relay.degraded and runs on: this is
 * defence in depth for mcpcage itself, not something a policy asks for. Any other failure
 * stops the session (fail closed). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "config.h"
#include "sandbox/launch.h"
#include "util/error.h"

struct selfconfine_config {
        const char *audit_file;         /* the audit log's path; NULL or "-": no file */
        const char *state_home;         /* $XDG_STATE_HOME (pins under mcpcage/pins); NULL: none */
        const struct child *child;      /* its cgroup leaves are removed at the end */
        int host_err;                   /* the host's stderr, reopened non-blocking by the loop */
};

struct selfconfine {
        int landlock_abi;               /* 0: no Landlock */
        bool landlock;                  /* a ruleset was built (and is applied by apply) */
        int ruleset_fd;                 /* until applied; -1: none */
        size_t n_rules;                 /* Landlock path rules */
        void *filter;                   /* the libseccomp context; NULL: no seccomp */
        size_t n_syscalls;              /* distinct syscalls the filter allows */
        json_t *degraded;               /* reasons, when less than both is applied */
        bool disabled;                  /* a test_hooks build told not to (the tests' control run) */
};

#define SELFCONFINE_INIT { .ruleset_fd = -1 }

/* Before session_start: builds the ruleset and the filter (nothing applied yet), so the
 * record says what will hold. 0 or -errno with err set. */
int selfconfine_prepare(const struct selfconfine_config *cfg, struct selfconfine *sc,
                        struct mc_error *err);

/* session_start.relay: {"seccomp": "allow-list"|"none", "syscalls": N, "landlock_abi": N,
 * "landlock_rules": N, "degraded": [...]}; NULL when out of memory. */
json_t *selfconfine_json(const struct selfconfine *sc);

/* no_new_privs, Landlock, then the filter; from here on, for good. 0 or -errno. */
int selfconfine_apply(struct selfconfine *sc, struct mc_error *err);

void selfconfine_clear(struct selfconfine *sc);

#if MCPCAGE_TEST_HOOKS
/* test_hooks builds: MCPCAGE_TEST_RELAY_ESCAPE=open,write,exec,fork,connect makes the relay,
 * once confined, try what a parser bug exploited by the server would (selfconfine-hook.c),
 * and say on stderr how each attempt ended. */
void selfconfine_test_escape(void);
#endif
