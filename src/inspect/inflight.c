/* In-flight entries built from requests, and notifications/cancelled against them. */
#include "inspect/inspector-internal.h"
#include "util/cleanup.h"
#include "inspect/jsonscan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The decoded text of a string span, or NULL (not a string, out of memory). *has_nul says
 * whether it holds U+0000, which would cut it short for every C comparison. */
static char *decode_string(const char *buf, struct span s, bool *has_nul)
{
        if (s.len < 2 || buf[s.off] != '"')
                return NULL;
        char *out = malloc(s.len - 1);
        if (!out)
                return NULL;
        size_t n = json_str_decode(buf + s.off + 1, s.len - 2, out);
        out[n] = '\0';
        *has_nul = memchr(out, '\0', n) != NULL;
        return out;
}

struct inflight *inflight_from_request(struct inspector *ins, struct jsonrpc_msg *m, uint64_t now_ns,
                                       bool with_arguments)
{
        struct inflight *e = calloc(1, sizeof(*e));
        if (!e)
                return NULL;
        e->id_raw = strndup(m->buf + m->id.off, m->id.len);
        e->id_len = m->id.len;
        e->key = TAKE_PTR(m->id_key);
        e->key_len = m->id_key_len;
        e->method = TAKE_PTR(m->method);
        e->start_ns = now_ns;
        e->request_bytes = m->len;
        if (!e->id_raw) {
                inflight_free(e);
                return NULL;
        }
        bool nul = false;
        if (!strcmp(e->method, "tools/call"))
                e->tool = decode_string(m->buf, m->p_name, &nul);
        else if (!strcmp(e->method, "resources/read"))
                e->uri = decode_string(m->buf, m->p_uri, &nul);
        if (nul)
                e->flags |= INFLIGHT_NUL_NAME;
        struct sanitize_hooks hooks = { guard_redact_for_audit, ins };
        if (with_arguments && ins->audit && m->p_arguments.len && ins->args_mode != ARGS_NONE) {
                /* parsed once when the rules read them too (and sanitised when they are
                 * done with the tree: inflight_settle_arguments), else only here */
                bool unreadable;
                json_t *tree = e->tool && tool_reads_arguments(ins, e->tool) ? request_arguments(ins, m, &unreadable)
                                                                            : NULL;
                if (tree)
                        e->flags |= INFLIGHT_ARGS_DEFERRED;
                else
                        e->arguments = sanitize_arguments_parsed(NULL, m->buf + m->p_arguments.off,
                                                                 m->p_arguments.len, ins->args_mode,
                                                                 ins->guards.redactor ? &hooks : NULL);
        }
        return e;
}

void inflight_settle_arguments(struct inspector *ins, struct inflight *e, bool take)
{
        if (!(e->flags & INFLIGHT_ARGS_DEFERRED))
                return;
        e->flags &= ~(unsigned)INFLIGHT_ARGS_DEFERRED;
        struct sanitize_hooks hooks = { guard_redact_for_audit, ins };
        const struct sanitize_hooks *h = ins->guards.redactor ? &hooks : NULL;
        if (!take) {
                e->arguments = sanitize_arguments_parsed(ins->args.tree, "", 0, ins->args_mode, h);
                return;
        }
        /* the rules are done with it: taken over, so its containers are not copied; the
         * next request_arguments parses again */
        json_t *tree = ins->args.tree;
        ins->args.tree = NULL;
        ins->args.msg = NULL;
        e->arguments = sanitize_arguments_taken(tree, ins->args_mode, h);
}

bool cancel_passes(struct inspector *ins, struct direction *d, const struct jsonrpc_msg *m,
                   uint64_t now_ns)
{
        _cleanup_free_ char *key = NULL;
        size_t key_len;
        if (!m->p_request_id.len ||
            jsonrpc_id_key(m->buf + m->p_request_id.off, m->p_request_id.len, &key, &key_len) < 0)
                return true; /* nothing mcpcage tracks: the peer decides what it means */
        if (idring_take(&d->answered, key, key_len))
                return false;
        struct inflight *e = idtable_find(d->inflight, key, key_len);
        if (!e)
                return true;
        if (e->flags & INFLIGHT_ANSWERED)
                return false;
        bool held = e->flags & INFLIGHT_HELD;
        /* The peer should not answer a cancelled request; if it does anyway, the answer is
         * dropped quietly (the sender ignores it too). Closing the entry now keeps requests
         * that are never answered from filling the table. */
        e = idtable_remove(d->inflight, key, key_len);
        if (d == &ins->host)
                record_call(ins, e, "cancelled", 0, now_ns);
        idring_add(&d->cancelled, key, key_len);
        inflight_free(e);
        return !held; /* the server never saw a call held for confirmation */
}
