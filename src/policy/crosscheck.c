/* Checks that span keys, run on the merged tree (the keys may come from different files
 * of an extends chain): scope implication cycles, and forwards that the network policy
 * would not otherwise allow (a forward is a tunnel; it must not be a way around
 * network.allow). */
#include <errno.h>
#include <string.h>

#include "policy/policy-internal.h"
#include "util/buf.h"
#include "util/cleanup.h"

#define MAX_SCOPE_DEPTH 64

struct walk {
        json_t *implies;
        const char *stack[MAX_SCOPE_DEPTH];
        size_t n;
};

static int implies_cycle(struct walk *w, const char *scope, const char *file, struct mc_error *err)
{
        for (size_t i = 0; i < w->n; i++) {
                if (strcmp(w->stack[i], scope))
                        continue;
                _cleanup_buf_ struct buf b = { 0 };
                for (size_t k = i; k < w->n; k++)
                        buf_printf(&b, "%s -> ", w->stack[k]);
                buf_printf(&b, "%s", scope);
                return mc_error_set(err, ELOOP, "%s: /mcp/implies: scope cycle: %s", file,
                                    b.data ? b.data : scope);
        }
        if (w->n >= MAX_SCOPE_DEPTH)
                return mc_error_set(err, ELOOP, "%s: /mcp/implies: implications nested more than %d deep",
                                    file, MAX_SCOPE_DEPTH);
        json_t *next = json_object_get(w->implies, scope);
        if (!next)
                return 0;
        w->stack[w->n++] = scope;
        size_t i;
        json_t *s;
        json_array_foreach(next, i, s) {
                int r = implies_cycle(w, json_string_value(s), file, err);
                if (r < 0)
                        return r;
        }
        w->n--;
        return 0;
}

static int check_implies(json_t *tree, const char *file, struct mc_error *err)
{
        struct walk w = { .implies = json_pointer_get(tree, "/mcp/implies"), .n = 0 };
        const char *scope;
        json_t *v;
        json_object_foreach(w.implies, scope, v) {
                int r = implies_cycle(&w, scope, file, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_forward(json_t *tree, const char *file, struct mc_error *err)
{
        json_t *forward = json_pointer_get(tree, "/network/forward");
        if (!forward || !json_object_size(forward))
                return 0;
        json_t *mode = json_pointer_get(tree, "/network/mode");
        if (!json_is_string(mode) || strcmp(json_string_value(mode), "filtered"))
                return mc_error_set(err, EINVAL, "%s: /network/forward: forwards need network.mode \"filtered\"", file);
        json_t *allow = json_pointer_get(tree, "/network/allow");
        const char *listen;
        json_t *target;
        json_object_foreach(forward, listen, target) {
                bool ok = false;
                size_t i;
                json_t *entry;
                json_array_foreach(allow, i, entry)
                        ok = ok || policy_endpoint_covered(json_string_value(entry), json_string_value(target));
                if (!ok) {
                        struct ptr at = { .len = 0 };
                        policy_ptr_push(&at, "network");
                        policy_ptr_push(&at, "forward");
                        policy_ptr_push(&at, listen);
                        return mc_error_set(err, EINVAL, "%s: %s: target \"%s\" is not in network.allow",
                                            file, at.s, json_string_value(target));
                }
        }
        return 0;
}

int policy_validate_cross(json_t *tree, const char *file, struct mc_error *err)
{
        int r = check_implies(tree, file, err);
        if (r < 0)
                return r;
        return check_forward(tree, file, err);
}
