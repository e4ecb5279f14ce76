#include "inspect/rules/methods.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/rules/glob.h"

struct method_rules {
        json_t *deny[2];        /* host, server: arrays of strings (references) */
};

static const char *const dir_name[2] = { "host", "server" };

int method_rules_compile(json_t *mcp_methods, struct method_rules **out, struct mc_error *err)
{
        struct method_rules *m;

        if (mcp_methods && !json_is_object(mcp_methods))
                return mc_error_set(err, EINVAL, "/mcp/methods: not an object");
        for (int d = 0; d < 2; d++) {
                json_t *side = json_object_get(mcp_methods, dir_name[d]);
                json_t *deny = json_object_get(side, "deny"), *v;
                size_t i;
                if ((side && !json_is_object(side)) || (deny && !json_is_array(deny)))
                        return mc_error_set(err, EINVAL, "/mcp/methods/%s: needs {\"deny\": [...]}",
                                            dir_name[d]);
                json_array_foreach(deny, i, v)
                        if (!json_is_string(v) ||
                            json_string_length(v) != strlen(json_string_value(v)))
                                return mc_error_set(err, EINVAL, "/mcp/methods/%s/deny/%zu: not a "
                                                    "method name", dir_name[d], i);
        }
        m = calloc(1, sizeof(*m));
        if (!m)
                return mc_error_set(err, ENOMEM, "/mcp/methods: out of memory");
        for (int d = 0; d < 2; d++)
                m->deny[d] = json_incref(json_object_get(json_object_get(mcp_methods, dir_name[d]),
                                                         "deny"));
        *out = m;
        return 0;
}

void method_rules_free(struct method_rules *m)
{
        if (!m)
                return;
        json_decref(m->deny[0]);
        json_decref(m->deny[1]);
        free(m);
}

void method_check(const struct method_rules *m, enum method_dir dir, const char *method,
                  struct rule_decision *d)
{
        int k = dir == METHOD_FROM_SERVER;
        char rule[RULE_POINTER_MAX];
        size_t i;
        json_t *v;

        rule_format(rule, sizeof(rule), "/mcp/methods/%s", dir_name[k]);
        if (!method) {
                rule_deny(d, rule, "request without a method");
                return;
        }
        json_array_foreach(m ? m->deny[k] : NULL, i, v) {
                const char *pat = json_string_value(v);
                /* An exact name is compared as a string so a method spelled with glob
                 * characters is never misread; only entries with them are globs. A glob
                 * that cannot be evaluated counts as a match (fail closed). */
                bool hit = glob_is_pattern(pat) ? glob_match(pat, method, 0) != 0
                                                : !strcmp(pat, method);
                if (hit) {
                        rule_format(rule, sizeof(rule), "/mcp/methods/%s/deny/%zu", dir_name[k], i);
                        rule_deny(d, rule, "method %s is denied by the policy", method);
                        return;
                }
        }
        rule_allow(d, rule);
}
