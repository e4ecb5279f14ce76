/* Roots the host hands the server (roots/list answers, and the same answers inside a
 * 2026-07-28 retry's inputResponses): a root tells a server such as server-filesystem where
 * it may work, so a root outside mcp.paths would widen what the server believes it may
 * touch. Each root is held to the read roots like a path argument (file:// URIs only);
 * those outside are removed before the server sees them. With no roots in the policy no
 * path rule applies and the answer passes untouched. */
#include "inspect/inspector-internal.h"
#include "util/cleanup.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool root_allowed(struct inspector *ins, json_t *root, struct rule_decision *d)
{
        json_t *uri = json_object_get(root, "uri");
        if (!json_is_string(uri)) {
                rule_deny(d, "/mcp/paths", "a root without a uri");
                return false;
        }
        if (strncasecmp(json_string_value(uri), "file:", 5)) {
                rule_deny(d, "/mcp/paths", "root %.160s is not a file:// URI", json_string_value(uri));
                return false;
        }
        path_check(ins->rules.paths, json_string_value(uri), json_string_length(uri), PATH_READ, d);
        return d->allow;
}

int filter_roots_value(struct inspector *ins, json_t *result)
{
        json_t *roots = json_object_get(result, "roots");
        if (!roots)
                return 0;
        if (!json_is_array(roots))
                return -1;
        int removed = 0;
        for (size_t i = 0; i < json_array_size(roots);) {
                struct rule_decision d;
                if (root_allowed(ins, json_array_get(roots, i), &d)) {
                        i++;
                        continue;
                }
                char detail[RULE_REASON_MAX + 32];
                snprintf(detail, sizeof(detail), "root removed: %s", d.reason);
                record_security(ins, "path_denied", "warning", detail, NULL, (struct span){ 0 }, NULL);
                json_array_remove(roots, i);
                removed++;
        }
        return removed;
}

bool filter_roots_response(struct inspector *ins, const struct jsonrpc_msg *m, struct verdict *v)
{
        if (m->kind != MSG_RESULT || path_rules_empty(ins->rules.paths))
                return true;
        _cleanup_json_ json_t *res = json_loadb(m->buf + m->result.off, m->result.len,
                                                JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        int removed = res ? filter_roots_value(ins, res) : -1;
        if (removed == 0)
                return true;
        const char *id = m->buf + m->id.off;
        if (removed < 0 || jsonrpc_append_result(v->to_peer, id, m->id.len, res) < 0) {
                /* fail closed: the server gets no roots rather than unchecked ones */
                answer_error(v->to_peer, id, m->id.len, JSONRPC_INTERNAL_ERROR,
                             "mcpcage: the roots could not be checked against the policy");
                record_security(ins, "path_denied", "warning", "roots/list answer unreadable; withheld",
                                m->buf, m->id, NULL);
        }
        return false;
}
