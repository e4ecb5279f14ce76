/* Lines from the server, which is hostile code (threats.md): anything that is not a valid
 * message is dropped and audited, never shown to the host; a response must answer a
 * request the host really sent and that is still open (no spoofed or repeated answers);
 * the server's own requests are recorded and audited. */
#include "inspect/inspector-internal.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *call_status(const struct jsonrpc_msg *m)
{
        if (m->kind == MSG_ERROR)
                return "error";
        return m->result_is_error ? "tool_error" : "ok";
}

static void server_response(struct inspector *ins, const struct jsonrpc_msg *m, uint64_t now_ns,
                            struct verdict *v)
{
        struct direction *d = &ins->host;
        struct inflight *e = m->id_key ? idtable_find(d->inflight, m->id_key, m->id_key_len) : NULL;
        if (!e) {
                if (m->id_key && idring_take(&d->cancelled, m->id_key, m->id_key_len))
                        return; /* a late answer to a cancelled request */
                record_security(ins, "spoofed_response", "warning",
                                "response for an id the host has no request in flight for", m->buf,
                                m->id, NULL);
                return;
        }
        if (e->flags & INFLIGHT_HELD) {
                /* the server never saw this id: it is guessing */
                record_security(ins, "spoofed_response", "warning",
                                "response for a request the server has not been sent", m->buf, m->id, e->tool);
                return;
        }
        e = idtable_remove(d->inflight, m->id_key, m->id_key_len);
        if (e->flags & INFLIGHT_ANSWERED) {
                record_security(ins, "spoofed_response", "warning",
                                "response for a request mcpcage already answered", m->buf, m->id, e->tool);
                inflight_free(e);
                return;
        }
        v->forward = transform_server_result(ins, m, e, v);
        record_call(ins, e, e->flags & INFLIGHT_DENIED ? "denied" : call_status(m),
                    v->forward ? m->len : v->to_peer->len, now_ns);
        inflight_free(e);
}

static void server_request(struct inspector *ins, struct jsonrpc_msg *m, uint64_t now_ns,
                           struct verdict *v)
{
        struct direction *d = &ins->server;
        if (!decide_server_message(ins, m, v))
                return;
        if (idtable_find(d->inflight, m->id_key, m->id_key_len)) {
                answer_error(v->to_sender, m->buf + m->id.off, m->id.len, JSONRPC_INVALID_REQUEST,
                             "duplicate id");
                record_security(ins, "malformed_message", "warning", "server request id already in flight",
                                m->buf, m->id, NULL);
                return;
        }
        struct inflight *e = inflight_from_request(ins, m, now_ns, false);
        if (!e) {
                answer_error(v->to_sender, m->buf + m->id.off, m->id.len, JSONRPC_INTERNAL_ERROR,
                             "mcpcage: out of memory");
                return;
        }
        idring_take(&d->cancelled, e->key, e->key_len);
        int r = idtable_insert(d->inflight, e);
        if (r < 0) {
                char msg[96];
                snprintf(msg, sizeof(msg), "mcpcage: too many requests in flight (%zu)",
                         idtable_max(d->inflight));
                answer_error(v->to_sender, m->buf + m->id.off, m->id.len, JSONRPC_INTERNAL_ERROR,
                             r == -ENOSPC ? msg : "mcpcage: out of memory");
                record_security(ins, "limit", "warning", msg, m->buf, m->id, NULL);
                inflight_free(e);
                return;
        }
        e->flags |= INFLIGHT_FORWARDED;
        record_server_request(ins, e, "allow");
        v->forward = true;
}

void server_line(struct inspector *ins, const char *line, size_t len, uint64_t now_ns, struct verdict *v)
{
        struct jsonrpc_msg m;
        struct jsonrpc_fault f;
        int r = jsonrpc_parse(line, len, &m, &f);
        if (r == -ENOMEM) {
                log_error("inspector: out of memory reading a message from the server; dropped");
                return;
        }
        if (r < 0) {
                /* the detail says why, never what: the line may carry anything */
                record_security(ins, "non_json_output", "warning", f.reason, line,
                                f.id_type == ID_NONE ? (struct span){ 0 } : f.id, NULL);
                return;
        }
        switch (m.kind) {
        case MSG_REQUEST:
                server_request(ins, &m, now_ns, v);
                break;
        case MSG_NOTIFICATION:
                v->forward = decide_server_message(ins, &m, v) &&
                             (strcmp(m.method, "notifications/cancelled") ||
                              cancel_passes(ins, &ins->server, &m, now_ns));
                break;
        case MSG_RESULT:
        case MSG_ERROR:
                server_response(ins, &m, now_ns, v);
                break;
        default:
                break;
        }
        jsonrpc_msg_clear(&m);
}
