#include "inspect/rules/scopes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/cleanup.h"

struct scope_set {
        json_t *set;    /* object used as a set: scope -> true */
};

static int add_closure(json_t *set, json_t *implies, const char *scope, struct mc_error *err)
{
        _cleanup_json_ json_t *queue = json_pack("[s]", scope);

        if (!queue)
                return mc_error_set(err, ENOMEM, "/mcp/scopes: out of memory");
        /* Breadth-first over mcp.implies; a scope already in the set is not expanded again,
         * which is what ends a cycle. */
        while (json_array_size(queue) > 0) {
                const char *s = json_string_value(json_array_get(queue, 0));
                if (!json_object_get(set, s)) {
                        json_t *more = json_object_get(implies, s), *v;
                        size_t i;
                        if (json_object_set_new(set, s, json_true()) < 0)
                                return mc_error_set(err, ENOMEM, "/mcp/scopes: out of memory");
                        if (more && !json_is_array(more))
                                return mc_error_set(err, EINVAL, "/mcp/implies/%s: not an array", s);
                        json_array_foreach(more, i, v) {
                                if (!json_is_string(v))
                                        return mc_error_set(err, EINVAL,
                                                            "/mcp/implies/%s/%zu: not a string", s, i);
                                if (json_array_append(queue, v) < 0)
                                        return mc_error_set(err, ENOMEM, "/mcp/scopes: out of memory");
                        }
                }
                json_array_remove(queue, 0);
        }
        return 0;
}

int scopes_compile(json_t *granted, json_t *implies, struct scope_set **out,
                   struct mc_error *err)
{
        _cleanup_json_ json_t *set = json_object();
        size_t i;
        json_t *v;

        if (!set)
                return mc_error_set(err, ENOMEM, "/mcp/scopes: out of memory");
        if (granted && !json_is_array(granted))
                return mc_error_set(err, EINVAL, "/mcp/scopes: not an array");
        if (implies && !json_is_object(implies))
                return mc_error_set(err, EINVAL, "/mcp/implies: not an object");
        json_array_foreach(granted, i, v) {
                if (!json_is_string(v))
                        return mc_error_set(err, EINVAL, "/mcp/scopes/%zu: not a string", i);
                int r = add_closure(set, implies, json_string_value(v), err);
                if (r < 0)
                        return r;
        }
        struct scope_set *s = calloc(1, sizeof(*s));
        if (!s)
                return mc_error_set(err, ENOMEM, "/mcp/scopes: out of memory");
        s->set = TAKE_PTR(set);
        *out = s;
        return 0;
}

void scopes_free(struct scope_set *s)
{
        if (!s)
                return;
        json_decref(s->set);
        free(s);
}

bool scopes_has(const struct scope_set *s, const char *scope)
{
        return s && scope && json_object_get(s->set, scope) != NULL;
}

void scopes_check(const struct scope_set *s, json_t *required, const char *rule,
                  struct rule_decision *d)
{
        size_t i;
        json_t *v;

        json_array_foreach(required, i, v) {
                if (scopes_has(s, json_string_value(v)))
                        continue;
                char at[RULE_POINTER_MAX];
                rule_format(at, sizeof(at), "%s/%zu", rule, i);
                if (json_is_string(v))
                        rule_deny(d, at, "scope %s is not granted", json_string_value(v));
                else
                        rule_deny(d, at, "required scope is not a string");
                return;
        }
        rule_allow(d, rule);
}
