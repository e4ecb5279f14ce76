/* The schema walk: every key of a policy is known, every value has its type and range.
 * Unknown keys are errors because a typo ("read_wirte") would otherwise silently drop a
 * restriction. Errors read "<file>: <pointer>: <reason>". The same walk, with every key
 * required, checks the effective tree after defaults, so consumers can trust its shape. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/schema.h"
#include "util/buf.h"
#include "util/cleanup.h"

int policy_vfail(struct vctx *c, const char *fmt, ...)
{
        char reason[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        return mc_error_set(c->err, EINVAL, "%s: %s: %s", c->file, ptr_str(&c->at), reason);
}

static const char *type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT: return "object";
        case JSON_ARRAY: return "array";
        case JSON_STRING: return "string";
        case JSON_INTEGER: return "integer";
        case JSON_REAL: return "real";
        case JSON_TRUE:
        case JSON_FALSE: return "boolean";
        case JSON_NULL: return "null";
        default: return "unknown";
        }
}

static int expect(struct vctx *c, const struct schema *s, json_t *v, const char *what)
{
        return policy_vfail(c, "expected %s%s, got %s", what, s->nullable ? " or null" : "", type_name(v));
}

static int check_node(struct vctx *c, json_t *v, const struct schema *s);

static int check_fields(struct vctx *c, json_t *v, const struct field *fields)
{
        const char *key;
        json_t *child;
        json_object_foreach(v, key, child) {
                const struct field *f = fields;
                while (f->name && strcmp(f->name, key))
                        f++;
                size_t old = policy_ptr_push(&c->at, key);
                if (!f->name || (c->effective && f->file_only))
                        return policy_vfail(c, "unknown key");
                int r = check_node(c, child, f->schema);
                if (r < 0)
                        return r;
                ptr_pop(&c->at, old);
        }
        for (const struct field *f = fields; f->name; f++) {
                if (json_object_get(v, f->name) || !(f->required || (c->effective && !f->file_only)))
                        continue;
                policy_ptr_push(&c->at, f->name);
                return policy_vfail(c, "missing required key");
        }
        return 0;
}

static int check_children(struct vctx *c, json_t *v, const struct schema *s)
{
        if (json_is_array(v)) {
                size_t i;
                json_t *item;
                json_array_foreach(v, i, item) {
                        size_t old = policy_ptr_push_index(&c->at, i);
                        int r = check_node(c, item, s->item);
                        if (r < 0)
                                return r;
                        ptr_pop(&c->at, old);
                }
                return 0;
        }
        const char *key;
        json_t *item;
        json_object_foreach(v, key, item) {
                size_t old = policy_ptr_push(&c->at, key);
                char why[256];
                const char *bad = key[0] ? (s->key_check ? s->key_check(key, why, sizeof(why)) : NULL)
                                         : "empty key";
                if (bad)
                        return policy_vfail(c, "%s", bad);
                int r = check_node(c, item, s->item);
                if (r < 0)
                        return r;
                ptr_pop(&c->at, old);
        }
        return 0;
}

static int check_enum(struct vctx *c, json_t *v, const struct schema *s)
{
        const char *str = json_string_value(v);
        for (const char *const *ch = s->choices; *ch; ch++)
                if (!strcmp(*ch, str))
                        return 0;
        _cleanup_buf_ struct buf b = { 0 };
        for (const char *const *ch = s->choices; *ch; ch++)
                buf_printf(&b, "%s\"%s\"", ch == s->choices ? "" : ", ", *ch);
        return policy_vfail(c, "expected one of %s, got \"%s\"", b.data ? b.data : "", str);
}

static int check_unit(struct vctx *c, json_t *v, const struct schema *s)
{
        const char *str = json_string_value(v);
        uint64_t a, b;
        switch (s->kind) {
        case S_SIZE:
                if (policy_parse_size(str, &a) < 0)
                        return policy_vfail(c, "invalid size \"%s\" (e.g. \"512M\", \"2G\", \"4096\")", str);
                return a ? 0 : policy_vfail(c, "size must be greater than 0 (null means no limit)");
        case S_TIME:
                if (policy_parse_time(str, &a) < 0)
                        return policy_vfail(c, "invalid time \"%s\" (e.g. \"500ms\", \"30s\", \"5m\", \"1h\", \"0\")", str);
                return 0;
        case S_RATE:
                if (policy_parse_rate(str, &a, &b) < 0)
                        return policy_vfail(c, "invalid rate \"%s\" (e.g. \"60/min\", \"5/s\", \"100/h\")", str);
                return 0;
        default:
                return policy_vfail(c, "internal error: not a unit");
        }
}

static int check_number(struct vctx *c, json_t *v, const struct schema *s)
{
        switch (s->kind) {
        case S_VERSION:
                if (!json_is_integer(v))
                        return expect(c, s, v, "the integer 1");
                return json_integer_value(v) == 1 ? 0
                        : policy_vfail(c, "unsupported version %lld (this mcpcage reads version 1)",
                                (long long)json_integer_value(v));
        case S_POS_INT:
                if (!json_is_integer(v))
                        return expect(c, s, v, "a positive integer");
                return json_integer_value(v) > 0 ? 0
                        : policy_vfail(c, "expected a positive integer, got %lld", (long long)json_integer_value(v));
        case S_POS_NUMBER:
                if (!json_is_number(v))
                        return expect(c, s, v, "a positive number");
                return json_number_value(v) > 0 ? 0
                        : policy_vfail(c, "expected a positive number, got %g", json_number_value(v));
        default:
                return policy_vfail(c, "internal error: not a number");
        }
}

static int check_tool_rule(struct vctx *c, json_t *v, const struct schema *s)
{
        if (json_is_string(v)) {
                const char *str = json_string_value(v);
                if (!strcmp(str, "allow") || !strcmp(str, "deny"))
                        return 0;
                return policy_vfail(c, "expected \"allow\", \"deny\" or a rule object, got \"%s\"", str);
        }
        if (!json_is_object(v))
                return policy_vfail(c, "expected \"allow\", \"deny\" or a rule object, got %s", type_name(v));
        return check_fields(c, v, s->fields);
}

static int check_typed(struct vctx *c, json_t *v, const struct schema *s)
{
        char why[512];
        switch (s->kind) {
        case S_OBJECT:
                return json_is_object(v) ? check_fields(c, v, s->fields) : expect(c, s, v, "an object");
        case S_MAP:
                return json_is_object(v) ? check_children(c, v, s) : expect(c, s, v, "an object");
        case S_LIST:
                return json_is_array(v) ? check_children(c, v, s) : expect(c, s, v, "an array");
        case S_BOOL:
                return json_is_boolean(v) ? 0 : expect(c, s, v, "a boolean");
        case S_TOOL_RULE:
                return check_tool_rule(c, v, s);
        case S_VERSION:
        case S_POS_INT:
        case S_POS_NUMBER:
                return check_number(c, v, s);
        case S_STRING:
        case S_ENUM:
        case S_SIZE:
        case S_TIME:
        case S_RATE:
                break;
        default:
                return policy_vfail(c, "internal error: unknown schema kind");
        }
        if (!json_is_string(v))
                return expect(c, s, v, "a string");
        if (s->kind == S_ENUM)
                return check_enum(c, v, s);
        if (s->kind != S_STRING)
                return check_unit(c, v, s);
        const char *bad = s->string_check ? s->string_check(json_string_value(v), why, sizeof(why)) : NULL;
        return bad ? policy_vfail(c, "%s", bad) : 0;
}

static int check_node(struct vctx *c, json_t *v, const struct schema *s)
{
        if (json_is_null(v) && s->nullable)
                return 0;
        int r = check_typed(c, v, s);
        if (r < 0)
                return r;
        return s->node_check ? s->node_check(c, v) : 0;
}

int policy_validate(json_t *tree, const char *file, bool effective, struct mc_error *err)
{
        struct vctx c = { .file = file, .effective = effective, .err = err };
        return check_node(&c, tree, &policy_schema);
}
