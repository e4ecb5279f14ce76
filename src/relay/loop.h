/* The event loop of one session: relays host <-> server through the framers, the inspector
 * and the output queues until the shutdown sequence of design.md ends and the server has
 * been reaped. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "audit/audit.h"
#include "inspect/inspector.h"
#include "sandbox/launch.h"
#include "util/error.h"

/* SIGTERM 2 s after it, then SIGKILL (design.md "Shutdown"). */
#define RELAY_TERM_TIMEOUT_MS 2000
/* After the server exited: how long a host that stopped reading can hold us. */
#define RELAY_FLUSH_TIMEOUT_MS 2000

enum relay_reason { RELAY_HOST_CLOSED, RELAY_CHILD_EXITED, RELAY_SIGNAL, RELAY_WALL_TIME };

struct relay_config {
        int host_in, host_out;          /* normally 0 and 1 */
        int host_err;                   /* where the server's stderr goes, normally 2 */
        struct child *child;            /* fds are closed by the loop; pid is reaped by it */
        struct inspector *ins;
        struct audit *audit;            /* for SIGHUP's reopen; may be NULL */
        size_t message_bytes;           /* mcp.limits.message_bytes */
        uint64_t shutdown_grace_ms;     /* limits.shutdown_grace */
        uint64_t wall_time_ms;          /* limits.wall_time, 0 = never */
        bool seccomp_kills;             /* seccomp action "kill": a SIGSYS death is a violation */
};

struct relay_result {
        int wait_status;                /* of wait4(); valid when reaped */
        bool reaped;
        bool killed;                    /* mcpcage had to SIGKILL the server */
        enum relay_reason reason;
        struct rusage ru;               /* the server's, from wait4() */
        uint64_t stderr_dropped;        /* server stderr bytes dropped: our stderr was blocked */
        json_t *violations;             /* {"syscall": refusals} for session_end (owned), or NULL */
        uint64_t violations_total;
        uint64_t memory_peak;           /* bytes, from the server's cgroup; 0 without one */
};

/* Before the server starts: block the signals the loop reads through its signalfd (so none
 * is lost between fork and the loop) and ignore SIGPIPE (a closed pipe is an EPIPE to
 * handle, not a death). The launcher resets both in the child. */
int relay_signals_block(struct mc_error *err);

/* Runs the session. Always reaps the server, also on error (it SIGKILLs it then); returns 0
 * or -errno with err filled. */
int relay_run(const struct relay_config *cfg, struct relay_result *out, struct mc_error *err);

const char *relay_reason_name(enum relay_reason r);
