/* Shared between the inspector's files: the state of one session's inspection. */
#pragma once

#include "inspect/idtable.h"
#include "inspect/inspector.h"
#include "inspect/jsonrpc.h"
#include "inspect/sanitize.h"

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
        enum args_mode args_mode;
        uint64_t message_bytes;
        struct inspector_stats stats;
};

/* The rule pointer recorded for an "allow" nobody narrowed: the whole policy (RFC 6901 ""),
 * until a rule of a later stage decides and names itself. */
#define RULE_DEFAULT ""

void verdict_begin(struct inspector *ins, struct verdict *v);
bool line_is_blank(const char *line, size_t len);

/* Answers: an error line under id_raw (NULL = null). Logged, not returned, on failure. */
void answer_error(struct buf *out, const char *id_raw, size_t id_len, int code, const char *message);

/* Entries: a new in-flight entry for request m (takes m's id_key and method). */
struct inflight *inflight_from_request(struct inspector *ins, struct jsonrpc_msg *m, uint64_t now_ns,
                                       bool with_arguments);
/* notifications/cancelled from the side d holds requests of: true to forward it. */
bool cancel_passes(struct inspector *ins, struct direction *d, const struct jsonrpc_msg *m,
                   uint64_t now_ns);

/* Audit records (no-ops without an audit log; calls are counted either way). */
void record_call(struct inspector *ins, const struct inflight *e, const char *status,
                 size_t response_bytes, uint64_t now_ns);
void record_server_request(struct inspector *ins, const struct inflight *e, const char *decision);
void record_security(struct inspector *ins, const char *kind, const char *severity, const char *detail,
                     const char *buf, struct span id, const char *tool);

/* The two directions. */
void host_line(struct inspector *ins, const char *line, size_t len, uint64_t now_ns, struct verdict *v);
void server_line(struct inspector *ins, const char *line, size_t len, uint64_t now_ns, struct verdict *v);
