/* Shared between the inspector's files: the state of one session's inspection. */
#pragma once

#include "inspect/guards/injection.h"
#include "inspect/guards/pin.h"
#include "inspect/guards/redact.h"
#include "inspect/idtable.h"
#include "inspect/inspector.h"
#include "inspect/jsonrpc.h"
#include "inspect/rules/decision.h"
#include "inspect/rules/methods.h"
#include "inspect/rules/paths.h"
#include "inspect/rules/ratelimit.h"
#include "inspect/rules/scopes.h"
#include "inspect/rules/tools.h"
#include "inspect/sanitize.h"

#include <limits.h>
#include <string.h>

/* The policy's mcp rules, compiled once at inspector_new (policy-rules.c). */
struct inspect_rules {
        struct tool_rules *tools;
        struct scope_set *scopes;
        struct path_rules *paths;
        struct method_rules *methods;
        struct rate_bucket *tool_buckets; /* one per tool rule with a rate, by rule address */
        const struct tool_rule **bucket_rules;
        size_t n_buckets;
        struct rate_bucket calls;       /* mcp.limits.calls */
        bool has_calls_limit;
        bool hides_tools;               /* some tool is hidden: tools/list needs filtering */
        uint64_t call_timeout_ns;       /* 0 = none */
        char *kill_path;                /* mcp.kill_switch, or NULL */
        bool killed;                    /* SIGUSR1 until SIGUSR2 */
        /* The watch on the switch file once the relay polls it (killswitch.c): kill_fd is
         * open while kill_polled; while kill_watched, kill_state is what stat() says (0 or
         * an errno) and no stat runs per call. */
        bool kill_polled, kill_watched;
        int kill_fd, kill_wd, kill_state;
        char kill_next[NAME_MAX + 1];   /* the path's name below the watched directory */
};

/* mcp.injection.action */
enum injection_action { INJECTION_OFF, INJECTION_FLAG, INJECTION_STRIP, INJECTION_BLOCK };

/* The content guards (threats.md §3): redaction, injection, pinning. Built at
 * inspector_set_server (inspector.c build_guards), not at inspector_new. */
struct guards {
        bool built;                     /* no line is inspected before (verdict_begin) */
        struct redactor *redactor;      /* with the env.from_file values */
        unsigned *counts;               /* per redaction kind, for one message */
        struct injection *injection;
        enum injection_action action;
        struct pin_session *pin;        /* NULL until inspector_set_server */
        bool pin_block;                 /* mcp.pin.on_change block */
        json_t *pin_reported;           /* what was audited as pin_changed this session */
        struct buf rewrite, scratch, stripped;
};

/* The requests one side sent that the other side has not answered yet. */
struct direction {
        struct idtable *inflight;
        struct idring answered;         /* answered by mcpcage, never forwarded */
        struct idring cancelled;        /* cancelled by their sender */
        const char *name;               /* "host" / "server", for details */
};

struct inspector {
        const struct policy *policy;
        struct audit *audit;            /* NULL: no audit log */
        struct direction host, server;  /* host = requests from the host */
        struct buf to_peer, to_sender;
        struct buf record;              /* a call record's fields, serialised (records.c) */
        enum args_mode args_mode;
        uint64_t message_bytes;
        struct inspector_stats stats;
        struct inspect_rules rules;
        struct deadline_list deadlines; /* host requests under call_timeout */
        struct guards guards;
        struct confirm_table *confirm;
        bool host_elicitation;          /* initialize declared capabilities.elicitation */
        char *server_name;              /* for the confirmation question */
        /* The host request being handled: its arguments parsed once for every reader (the
         * tool rules and the audit record's sanitised copy); host_request clears it. */
        struct {
                const struct jsonrpc_msg *msg;
                json_t *tree;
                bool unreadable;
        } args;
};

/* The rule pointer recorded for an "allow" nobody narrowed: the whole policy (RFC 6901 ""),
 * until a rule of a later stage decides and names itself. */
#define RULE_DEFAULT ""

void verdict_begin(struct inspector *ins, struct verdict *v);
bool line_is_blank(const char *line, size_t len);

/* Answers: an error line under id_raw (NULL = null). Logged, not returned, on failure. */
void answer_error(struct buf *out, const char *id_raw, size_t id_len, int code, const char *message);

/* The arguments of host request m as a tree, parsed on first use (borrowed, never changed:
 * valid until request_arguments_clear). NULL when m has none, or with *unreadable when they
 * are there but jansson cannot hold them (a rule that reads them must then deny: fail closed). */
json_t *request_arguments(struct inspector *ins, const struct jsonrpc_msg *m, bool *unreadable);
void request_arguments_clear(struct inspector *ins);
/* True when the rule for tool reads its arguments (paths, commands, URLs). */
bool tool_reads_arguments(const struct inspector *ins, const char *tool);

/* Entries: a new in-flight entry for request m (takes m's id_key and method). */
struct inflight *inflight_from_request(struct inspector *ins, struct jsonrpc_msg *m, uint64_t now_ns,
                                       bool with_arguments);
/* e's record arguments from the rules' parsed tree, when inflight_from_request deferred
 * them: a sanitised copy (take false: the rules may still read the tree) or the tree itself,
 * taken over (take true: the decision is made; request_arguments would parse again). Before
 * any record of e; a no-op when nothing was deferred. */
void inflight_settle_arguments(struct inspector *ins, struct inflight *e, bool take);
/* notifications/cancelled from the side d holds requests of: true to forward it. */
bool cancel_passes(struct inspector *ins, struct direction *d, const struct jsonrpc_msg *m,
                   uint64_t now_ns);

/* Audit records (no-ops without an audit log; calls are counted either way). */
/* A call record's fields: serialised directly (0, or -EAGAIN when a value needs jansson),
 * and as the jansson object that the audit log would write with the same bytes. */
int record_call_members(struct buf *b, const struct inflight *e, const char *status, size_t response_bytes,
                        uint64_t ms);
json_t *record_call_fields(const struct inflight *e, const char *status, size_t response_bytes, uint64_t ms);
void record_call(struct inspector *ins, const struct inflight *e, const char *status,
                 size_t response_bytes, uint64_t now_ns);
void record_server_request(struct inspector *ins, const struct inflight *e, const char *decision);
/* The same for a request carried inside a result (2026-07-28 inputRequests): id is the
 * carrying host request's, carried_by its method. */
void record_server_request_of(struct inspector *ins, const char *id_raw, size_t id_len, const char *method,
                              const char *decision, const char *rule, const char *carried_by);
void record_security(struct inspector *ins, const char *kind, const char *severity, const char *detail,
                     const char *buf, struct span id, const char *tool);

/* Policy rules (policy-rules.c). */
int rules_compile(struct inspect_rules *r, const struct policy *p, struct mc_error *err);
void rules_free(struct inspect_rules *r);
struct rate_bucket *rules_tool_bucket(struct inspect_rules *r, const struct tool_rule *t);
/* The kill switch (killswitch.c): true while it is on, with the reason for the refusal. */
bool kill_switch_on(const struct inspect_rules *r, char *why, size_t size);
void kill_watch_free(struct inspect_rules *r);

/* Decisions on host requests (decide-host.c): true when the request may be forwarded
 * (e->rule set); false when it was answered in v->to_sender and audited. The line may be
 * rewritten into v->to_peer (roots filtered out of inputResponses): then *rewritten. */
bool decide_host_request(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                         uint64_t now_ns, struct verdict *v, bool *rewritten);
/* Refusals: the answer to the sender, a call record with decision "deny" and a security
 * record of kind. code 0: the isError tool result; else an error with data {rule, reason}
 * (plus retry_after_ms when retry_ms is set). */
void refuse_request(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e, int code,
                    const char *kind, const struct rule_decision *d, uint64_t retry_ms,
                    uint64_t now_ns, struct verdict *v);

/* The refusal line alone (modern: add resultType to an isError result), and marking e as
 * denied (rule, reason, counted) without writing its call record. */
int append_refusal(struct buf *out, const struct inflight *e, int code, const struct rule_decision *d,
                   uint64_t retry_ms, bool modern);
void deny_entry(struct inspector *ins, struct inflight *e, const struct rule_decision *d);

/* What the server sends (decide-server.c). A server request or notification the policy
 * denies: false (answered/audited). */
bool decide_server_message(struct inspector *ins, const struct jsonrpc_msg *m, struct verdict *v);
/* A response from the server to host request e: tools/list filtered, inputRequests of an
 * input_required result held to the server method rules. True: forward the original bytes;
 * false: v->to_peer holds what goes to the host instead. */
bool transform_server_result(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                             struct verdict *v);

/* Content guards (guard-content.c): redaction and injection over the decoded strings of a
 * response from the server to host request e, below scope ("/result", "/error"). True:
 * forward the original bytes; false: v->to_peer holds what goes to the host instead. */
bool guard_content(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e, const char *scope,
                   struct verdict *v);
/* mcp.redact.arguments on a host request's params.arguments: true with the rewritten
 * request in v->to_peer when something was redacted; refused (false, *failed) when the
 * arguments could not be checked. */
bool guard_arguments(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e, uint64_t now_ns,
                     struct verdict *v, bool *failed);
/* What the injection scan found in one message: a class bit each, and where first. */
#define GUARD_POINTER_MAX 256
struct findings {
        unsigned bits;
        char at[INJ_N_CLASSES][GUARD_POINTER_MAX];
};
/* A pointer cut to fit dst without splitting a UTF-8 sequence. */
static inline void guard_copy_pointer(char *dst, size_t size, const char *src)
{
        size_t n = strlen(src);
        if (n >= size) {
                n = size - 1;
                while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
                        n--;
        }
        memcpy(dst, src, n);
        dst[n] = '\0';
}
/* The walk over one scope of msg: 1 when ins->guards.rewrite holds the new message, 0 when
 * nothing changed, <0 on error (err). Redaction counts go to ins->guards.counts. */
int guard_walk(struct inspector *ins, const char *msg, size_t len, const char *scope, struct redact_sel sel,
               enum injection_context ctx, struct findings *f, struct mc_error *err);
/* Audit records and call flags (e may be NULL) for what one message carried. */
void guard_report(struct inspector *ins, struct inflight *e, const struct findings *f, const char *where);
/* The redaction the audit's sanitiser applies to argument strings. */
json_t *guard_redact_for_audit(void *ctx, const char *s, size_t len);
int guards_init(struct inspector *ins, struct mc_error *err);
void guards_free(struct guards *g);
/* tools/list (guard-tools.c): hidden tools removed, descriptions scanned for injection,
 * every tool compared with its pin; initialize / server/discover: serverInfo and
 * instructions pinned and scanned. Same return convention as guard_content. */
bool guard_tools_list(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e, struct verdict *v);
bool guard_identity(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e, struct verdict *v);
/* A tools/call the pin says the model must not reach (block): true to refuse as unknown. */
bool guard_pin_hides_tool(struct inspector *ins, const char *name);

/* Audit records of the guards (records.c). */
void record_injection(struct inspector *ins, const struct inflight *e, const char *cls, const char *pointer,
                      const char *where, const char *action);
void record_pin_changed(struct inspector *ins, const char *what, const char *detail, const char *tool);
void mark_call(struct inflight *e, const char *flag);

/* Roots (roots.c): a host answer to the server's roots/list (legacy era) with roots outside
 * the policy removed; true: forward the original bytes, false: v->to_peer holds the line. */
bool filter_roots_response(struct inspector *ins, const struct jsonrpc_msg *m, struct verdict *v);
/* The roots inside a value (an inputResponses entry, a roots/list result): entries outside
 * the policy removed in place; returns how many were removed, -1 when unreadable. */
int filter_roots_value(struct inspector *ins, json_t *result);

/* The two directions. */
void host_line(struct inspector *ins, const char *line, size_t len, uint64_t now_ns, struct verdict *v);
void server_line(struct inspector *ins, const char *line, size_t len, uint64_t now_ns, struct verdict *v);
