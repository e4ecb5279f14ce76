/* Lines from the host: requests are recorded in flight and forwarded as their original
 * bytes; what is malformed or ambiguous is answered by mcpcage and never reaches the
 * server (threats.md §4). */
#include "inspect/confirm.h"
#include "inspect/inspector-internal.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void host_fault(struct inspector *ins, const char *line, const struct jsonrpc_fault *f,
                       struct verdict *v)
{
        const char *id = f->id_type == ID_NONE ? NULL : line + f->id.off;
        answer_error(v->to_sender, id, f->id.len, f->code, f->reason);
        record_security(ins, "malformed_message", "warning", f->reason, line,
                        id ? f->id : (struct span){ 0 }, NULL);
        char *key;
        size_t key_len;
        if (id && jsonrpc_id_key(id, f->id.len, &key, &key_len) == 0) {
                if (!idtable_find(ins->host.inflight, key, key_len))
                        idring_add(&ins->host.answered, key, key_len);
                free(key);
        }
}

static void refuse(struct inspector *ins, const struct jsonrpc_msg *m, int code, const char *message,
                   const char *kind, struct verdict *v)
{
        answer_error(v->to_sender, m->buf + m->id.off, m->id.len, code, message);
        record_security(ins, kind, "warning", message, m->buf, m->id, NULL);
}

static void host_request_decide(struct inspector *ins, struct jsonrpc_msg *m, uint64_t now_ns,
                                struct verdict *v)
{
        struct direction *d = &ins->host;
        /* two requests under one id: the server's answer could not be told apart */
        if (idtable_find(d->inflight, m->id_key, m->id_key_len)) {
                refuse(ins, m, JSONRPC_INVALID_REQUEST, "duplicate id", "malformed_message", v);
                return;
        }
        struct inflight *e = inflight_from_request(ins, m, now_ns, true);
        if (!e) {
                answer_error(v->to_sender, m->buf + m->id.off, m->id.len, JSONRPC_INTERNAL_ERROR,
                             "mcpcage: out of memory");
                return;
        }
        if (e->flags & INFLIGHT_NUL_NAME) {
                refuse(ins, m, JSONRPC_INVALID_PARAMS, "tool name or uri contains U+0000",
                       "malformed_message", v);
                inflight_free(e);
                return;
        }
        idring_take(&d->answered, e->key, e->key_len);
        idring_take(&d->cancelled, e->key, e->key_len);
        bool rewritten = false;
        bool go = decide_host_request(ins, m, e, now_ns, v, &rewritten);
        inflight_settle_arguments(ins, e, true);
        if (!go) {
                /* answered and audited: the server never sees it, nor a cancel for it */
                idring_add(&d->answered, e->key, e->key_len);
                inflight_free(e);
                return;
        }
        int r = idtable_insert(d->inflight, e);
        if (r < 0) {
                char msg[96];
                snprintf(msg, sizeof(msg), "mcpcage: too many requests in flight (%zu)",
                         idtable_max(d->inflight));
                refuse(ins, m, JSONRPC_INTERNAL_ERROR, r == -ENOSPC ? msg : "mcpcage: out of memory",
                       "limit", v);
                buf_reset(v->to_peer);
                inflight_free(e);
                return;
        }
        if (e->flags & INFLIGHT_HELD)
                return; /* waits for the user's confirmation; the server has not seen it */
        e->flags |= INFLIGHT_FORWARDED;
        if (ins->rules.call_timeout_ns)
                deadline_link(&ins->deadlines, e, now_ns + ins->rules.call_timeout_ns);
        v->forward = !rewritten;
}

static void host_request(struct inspector *ins, struct jsonrpc_msg *m, uint64_t now_ns, struct verdict *v)
{
        host_request_decide(ins, m, now_ns, v);
        request_arguments_clear(ins); /* parsed for this message only (request_arguments) */
}

/* An answer to one of the server's requests (sampling, elicitation, roots, ping), or to
 * mcpcage's own confirmation question. */
static void host_response(struct inspector *ins, const struct jsonrpc_msg *m, uint64_t now_ns,
                          struct verdict *v)
{
        struct direction *d = &ins->server;
        struct inflight *e = m->id_key ? idtable_remove(d->inflight, m->id_key, m->id_key_len) : NULL;
        if (!e && confirm_host_response(ins, m, now_ns, v))
                return;
        if (!e) {
                if (m->id_key && idring_take(&d->cancelled, m->id_key, m->id_key_len))
                        return;
                record_security(ins, "spoofed_response", "warning",
                                "response from the host for an id the server has not asked", m->buf,
                                m->id, NULL);
                return;
        }
        bool roots = !strcmp(e->method, "roots/list");
        inflight_free(e);
        v->forward = !roots || filter_roots_response(ins, m, v);
}

/* A notification the host may not send is dropped (there is nobody to answer). */
static bool host_notification_passes(struct inspector *ins, const struct jsonrpc_msg *m)
{
        struct rule_decision d;
        method_check(ins->rules.methods, METHOD_FROM_HOST, m->method, &d);
        if (!d.allow) {
                ins->stats.denied++;
                record_security(ins, "method_denied", "warning", d.reason, m->buf, m->id, NULL);
        }
        return d.allow;
}

void host_line(struct inspector *ins, const char *line, size_t len, uint64_t now_ns, struct verdict *v)
{
        struct jsonrpc_msg m;
        struct jsonrpc_fault f;
        int r = jsonrpc_parse(line, len, &m, &f);
        if (r == -ENOMEM) {
                log_error("inspector: out of memory reading a message from the host");
                answer_error(v->to_sender, NULL, 0, JSONRPC_INTERNAL_ERROR, "mcpcage: out of memory");
                return;
        }
        if (r < 0) {
                host_fault(ins, line, &f, v);
                return;
        }
        switch (m.kind) {
        case MSG_REQUEST:
                host_request(ins, &m, now_ns, v);
                break;
        case MSG_NOTIFICATION:
                v->forward = host_notification_passes(ins, &m) &&
                             (strcmp(m.method, "notifications/cancelled") ||
                              cancel_passes(ins, &ins->host, &m, now_ns));
                break;
        case MSG_RESULT:
        case MSG_ERROR:
                host_response(ins, &m, now_ns, v);
                break;
        default:
                break;
        }
        jsonrpc_msg_clear(&m);
}
