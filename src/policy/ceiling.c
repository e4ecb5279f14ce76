/* The system ceiling (/etc/mcpcage/ceiling.json): a security team's baseline that a user
 * policy can narrow but never widen. The ceiling is a policy file read as written (a key
 * it does not set does not constrain), owned by root, without extends (an extends name
 * would be looked up in the user's own directory first) and with only variables the user
 * cannot steer. Widening something the user wrote is an error naming the ceiling; values
 * that came from defaults or the built-in default policy are narrowed silently; numeric
 * limits are clamped to the ceiling's value either way. This file holds loading, ordered
 * values, limits and the values where the ceiling simply wins; lists, tools and scopes are
 * in ceiling-lists.c. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/ceiling.h"
#include "util/cleanup.h"

int policy_ceiling_violation(struct cctx *c, const char *pointer, const char *fmt, ...)
{
        char reason[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        return mc_error_set(c->err, EPERM, "%s: %s: %s", c->cfile, pointer, reason);
}

bool policy_ceiling_written(struct cctx *c, const char *pointer, json_t *value)
{
        json_t *w = json_pointer_get(c->written, pointer);
        if (!w)
                return false;
        if (!value || !json_is_array(w) || json_is_array(value))
                return true;
        size_t i;
        json_t *item;
        json_array_foreach(w, i, item)
                if (json_equal(item, value))
                        return true;
        return false;
}

int policy_ceiling_load(const struct policy_env *env, json_t **ceiling, struct mc_error *err)
{
        *ceiling = NULL;
        if (!env->ceiling)
                return 0;
        _cleanup_json_ json_t *tree = NULL;
        int r = policy_read_file(env->ceiling, true, &tree, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (json_object_get(tree, "extends"))
                return mc_error_set(err, EINVAL, "%s: /extends: not allowed in the ceiling", env->ceiling);
        _cleanup_free_ char *dir = strdup(env->ceiling);
        if (!dir)
                return mc_error_set(err, ENOMEM, "out of memory");
        char *slash = strrchr(dir, '/');
        if (slash)
                *(slash == dir ? slash + 1 : slash) = '\0';
        struct policy_vars vars = { .env = env, .policy_dir = slash ? dir : ".", .ceiling = true };
        r = policy_expand_tree(tree, env->ceiling, &vars, err);
        if (r < 0)
                return r;
        r = policy_validate(tree, env->ceiling, false, err);
        if (r < 0)
                return r;
        r = policy_validate_cross(tree, env->ceiling, err);
        if (r < 0)
                return r;
        *ceiling = TAKE_PTR(tree);
        return 0;
}

/* ---- ordered values, weakest first ---- */
struct ordered {
        const char *pointer;
        const char *const *order;
};

#define ORDER(...) (const char *const[]){ __VA_ARGS__, NULL }
static const struct ordered ORDERED[] = {
        { "/isolation", ORDER("none", "landlock", "auto", "namespaces") },
        { "/filesystem/root", ORDER("host", "empty") },
        { "/network/mode", ORDER("host", "filtered", "loopback", "none") },
        { "/seccomp/profile", ORDER("none", "default", "strict") },
        { "/seccomp/action", ORDER("log", "errno", "kill") },
        { "/mcp/injection/action", ORDER("off", "flag", "strip", "block") },
        { "/mcp/pin/on_change", ORDER("warn", "block") },
};

static int rank(const char *const *order, const char *v)
{
        for (int i = 0; order[i]; i++)
                if (!strcmp(order[i], v))
                        return i;
        return -1;
}

static int set_at(json_t *root, const char *pointer, json_t *value)
{
        const char *slash = strrchr(pointer, '/');
        _cleanup_free_ char *parent = strndup(pointer, (size_t)(slash - pointer));
        json_t *obj = parent ? json_pointer_get(root, parent) : NULL;
        if (!obj || json_object_set_new(obj, slash + 1, value) < 0)
                return -ENOMEM;
        return 0;
}

static int apply_ordered(struct cctx *c, const struct ordered *o)
{
        json_t *cv = json_pointer_get(c->ceil, o->pointer);
        json_t *uv = json_pointer_get(c->eff, o->pointer);
        if (!strcmp(o->pointer, "/seccomp/action") && !policy_ceiling_written(c, o->pointer, NULL)) {
                /* the profile may have been narrowed: the default action follows it */
                const char *profile = json_string_value(json_pointer_get(c->eff, "/seccomp/profile"));
                set_at(c->eff, o->pointer, json_string(policy_default_action(profile)));
                uv = json_pointer_get(c->eff, o->pointer);
        }
        if (!cv)
                return 0;
        const char *cs = json_string_value(cv), *us = json_string_value(uv);
        if (rank(o->order, us) >= rank(o->order, cs))
                return 0;
        if (policy_ceiling_written(c, o->pointer, NULL))
                return policy_ceiling_violation(c, o->pointer, "\"%s\" goes beyond the ceiling's \"%s\"", us, cs);
        return set_at(c->eff, o->pointer, json_deep_copy(cv));
}

/* ---- limits: the smaller wins, clamped without error ---- */
enum limit_kind { L_SIZE, L_COUNT, L_NUMBER, L_TIME, L_TIME_ZERO_NEVER, L_RATE };

static const struct { const char *pointer; enum limit_kind kind; } LIMITS[] = {
        { "/limits/memory", L_SIZE },
        { "/limits/pids", L_COUNT },
        { "/limits/cpu", L_NUMBER },
        { "/limits/open_files", L_COUNT },
        { "/limits/file_size", L_SIZE },
        { "/limits/wall_time", L_TIME_ZERO_NEVER },
        { "/limits/shutdown_grace", L_TIME },
        { "/mcp/limits/message_bytes", L_SIZE },
        { "/mcp/limits/calls", L_RATE },
        { "/mcp/limits/call_timeout", L_TIME },
};

/* A comparable magnitude; null (and a wall time of 0) is infinite. */
static long double magnitude(json_t *v, enum limit_kind kind)
{
        uint64_t a = 0, b = 1;
        if (!v || json_is_null(v))
                return (long double)INFINITY;
        switch (kind) {
        case L_SIZE: policy_parse_size(json_string_value(v), &a); break;
        case L_TIME: policy_parse_time(json_string_value(v), &a); break;
        case L_TIME_ZERO_NEVER:
                policy_parse_time(json_string_value(v), &a);
                if (a == 0)
                        return (long double)INFINITY;
                break;
        case L_RATE: policy_parse_rate(json_string_value(v), &a, &b); break;
        case L_COUNT:
        case L_NUMBER: return (long double)json_number_value(v);
        default: break;
        }
        return (long double)a / (long double)b;
}

static int apply_limits(struct cctx *c)
{
        for (size_t i = 0; i < sizeof(LIMITS) / sizeof(LIMITS[0]); i++) {
                json_t *cv = json_pointer_get(c->ceil, LIMITS[i].pointer);
                if (!cv || json_is_null(cv))
                        continue;
                json_t *uv = json_pointer_get(c->eff, LIMITS[i].pointer);
                if (magnitude(cv, LIMITS[i].kind) < magnitude(uv, LIMITS[i].kind) &&
                    set_at(c->eff, LIMITS[i].pointer, json_deep_copy(cv)) < 0)
                        return mc_error_set(c->err, ENOMEM, "out of memory");
        }
        return 0;
}

/* ---- where the security team's value wins when it sets one ---- */
static int apply_ceiling_wins(struct cctx *c)
{
        static const char *const WINS[] = {
                "/audit/file", "/audit/key", "/audit/arguments", "/audit/alert", "/mcp/kill_switch",
        };
        for (size_t i = 0; i < sizeof(WINS) / sizeof(WINS[0]); i++) {
                json_t *cv = json_pointer_get(c->ceil, WINS[i]);
                if (!cv || json_is_null(cv) || (json_is_array(cv) && !json_array_size(cv)))
                        continue;
                if (set_at(c->eff, WINS[i], json_deep_copy(cv)) < 0)
                        return mc_error_set(c->err, ENOMEM, "out of memory");
        }
        if (json_is_true(json_pointer_get(c->ceil, "/audit/syslog")))
                set_at(c->eff, "/audit/syslog", json_true());
        return 0;
}

int policy_ceiling_apply(json_t *effective, json_t *written, json_t *ceiling,
                         const char *ceiling_path, const struct policy_env *env,
                         struct mc_error *err)
{
        if (!ceiling)
                return 0;
        struct cctx c = {
                .eff = effective, .written = written, .ceil = ceiling, .cfile = ceiling_path,
                .home = env->home, .err = err,
        };
        for (size_t i = 0; i < sizeof(ORDERED) / sizeof(ORDERED[0]); i++) {
                int r = apply_ordered(&c, &ORDERED[i]);
                if (r < 0)
                        return r;
        }
        int r = apply_limits(&c);
        if (r < 0)
                return r;
        r = apply_ceiling_wins(&c);
        if (r < 0)
                return r;
        r = policy_ceiling_lists(&c);
        if (r < 0)
                return r;
        r = policy_ceiling_tools(&c);
        if (r < 0)
                return r;
        return policy_ceiling_scopes(&c);
}
