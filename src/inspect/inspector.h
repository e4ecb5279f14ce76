/* The inspector: given one complete line from either side, decide what happens to it. It
 * owns the in-flight tables (both directions) and the policy rules, and writes the audit
 * records of calls and security events. It knows nothing of fds or processes: the relay
 * feeds it lines and queues what the verdict says. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "policy/policy.h"
#include "util/buf.h"
#include "util/error.h"

struct inspector;

/* What to do with one line. The inspector owns the buffers and reuses them; they are valid
 * until the next call. Order of queuing: the forwarded line (original or to_peer) first,
 * then to_sender's lines go back to where the line came from. */
struct verdict {
        bool forward;           /* queue the original bytes (plus "\n") to the peer */
        struct buf *to_peer;    /* lines to queue to the peer (a rewritten message, notices) */
        struct buf *to_sender;  /* lines to queue back to the sender (answers, errors) */
};

/* The policy's half: the settings and the mcp rules, everything that can refuse a policy.
 * No line may be inspected before inspector_set_server has built the content guards. */
int inspector_new(struct inspector **out, const struct policy *p, struct audit *a,
                  struct mc_error *err);
void inspector_free(struct inspector *ins);

/* What is known of the server once it is launched (call before the first line; a line
 * before it aborts): the content guards are built (injection patterns, the redaction set
 * with the env.from_file values as kind env_secret), and the session is compared with its
 * pin (mcp.pin; key: policy sha256, resolved executable, argv). A pin file that cannot be
 * trusted or read is an error (fail closed: the run stops), as is a guard that cannot be
 * built (out of memory, no PCRE2 JIT). */
struct inspector_server {
        const char *name;               /* the audit log's server name (shown when confirming) */
        const char *exe;                /* the resolved executable */
        char *const *argv;              /* as given, NULL-terminated */
        const char *const *env_secrets; /* NULL-terminated, or NULL */
        const char *state_home;         /* $XDG_STATE_HOME (pins under mcpcage/pins); NULL: no pin */
};
int inspector_set_server(struct inspector *ins, const struct inspector_server *srv, struct mc_error *err);

/* line excludes the "\n"; it may end in "\r" (tolerated and kept). now_ns: CLOCK_MONOTONIC. */
void inspect_from_host(struct inspector *ins, const char *line, size_t len, uint64_t now_ns,
                       struct verdict *v);
void inspect_from_server(struct inspector *ins, const char *line, size_t len, uint64_t now_ns,
                         struct verdict *v);
/* A line longer than mcp.limits.message_bytes: the relay discards it as it streams past and
 * calls this once with the first bytes it saw (up to 4 KiB) so an id can be recovered. */
void inspect_oversize(struct inspector *ins, bool from_host, const char *head, size_t head_len,
                      uint64_t now_ns, struct verdict *v);

/* Timers (call_timeout): the next deadline in CLOCK_MONOTONIC ns, or 0 for none; tick
 * handles every deadline <= now. */
uint64_t inspector_next_deadline(const struct inspector *ins);
void inspector_tick(struct inspector *ins, uint64_t now_ns, struct verdict *v);

/* The kill switch by signal (SIGUSR1 on, SIGUSR2 off; the relay reads them): while on,
 * every tools/call is refused as if the kill switch file existed. Audited. */
void inspector_set_kill(struct inspector *ins, bool on);

/* The kill switch file as an event source, for a relay that can poll: it polls the fd for
 * input and calls inspector_kill_changed() when it is readable, before it reads further
 * input; the file is then read again only when its directory changes instead of once per
 * tools/call. -1: nothing to poll (no switch file, no inotify), the check stays per call. */
int inspector_kill_fd(struct inspector *ins);
void inspector_kill_changed(struct inspector *ins);

/* Shutdown: an error response to the host for every host request still unanswered, each
 * audited as a call with status "error". Lines are appended to to_host. */
void inspector_drain(struct inspector *ins, const char *reason, uint64_t now_ns,
                     struct buf *to_host);

/* Session totals for session_end. */
struct inspector_stats {
        uint64_t calls, denied, redactions;
};
void inspector_get_stats(const struct inspector *ins, struct inspector_stats *st);
