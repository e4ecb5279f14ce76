/* audit.arguments (see sanitize.h). The tree is built from the scanned text
 * (jsonbuild.h); the walk replaces values in place in that private copy. */
#include "inspect/sanitize.h"
#include "inspect/jsonbuild.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/hex.h"
#include "util/sha256.h"

static const char *const secret_words[] = {
        "password", "passwd", "token", "secret", "key", "authorization", "cookie", "credential",
};

int args_mode_parse(const char *s, enum args_mode *mode)
{
        if (!s || !strcmp(s, "sanitized"))
                *mode = ARGS_SANITIZED;
        else if (!strcmp(s, "full"))
                *mode = ARGS_FULL;
        else if (!strcmp(s, "shape"))
                *mode = ARGS_SHAPE;
        else if (!strcmp(s, "none"))
                *mode = ARGS_NONE;
        else
                return -EINVAL;
        return 0;
}

/* One pass over the key: only where a byte could begin one of the words (its lower case is
 * a word's first letter) is the word compared, ASCII case-insensitively as strcasestr does
 * in the C locale. Runs for every member of every call's arguments. */
bool sanitize_key_is_secret(const char *key)
{
        for (const char *p = key; *p; p++) {
                char c = (char)(*p | 0x20);
                if (c != 'p' && c != 't' && c != 's' && c != 'k' && c != 'a' && c != 'c')
                        continue;
                for (size_t i = 0; i < sizeof(secret_words) / sizeof(*secret_words); i++)
                        if (secret_words[i][0] == c && !strncasecmp(p, secret_words[i], strlen(secret_words[i])))
                                return true;
        }
        return false;
}

/* "sha256:<first 12 hex>": lets a reader see that two calls used the same value without
 * the log holding it. */
static json_t *hashed(json_t *v)
{
        char *dumped = NULL;
        const char *p;
        size_t n;
        if (json_is_string(v)) {
                p = json_string_value(v);
                n = json_string_length(v);
        } else {
                dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
                if (!dumped)
                        return NULL;
                p = dumped;
                n = strlen(dumped);
        }
        unsigned char md[SHA256_LEN];
        sha256(p, n, md);
        free(dumped);
        char out[7 + 12 + 1] = "sha256:";
        hex_encode(out + 7, md, 6);     /* the first 48 bits name the value, no more */
        return json_string(out);
}

/* At most SANITIZE_MAX_STRING bytes, cut on a UTF-8 boundary, with how much was left out. */
static json_t *truncated(const char *s, size_t len)
{
        if (len <= SANITIZE_MAX_STRING)
                return NULL;
        size_t keep = SANITIZE_MAX_STRING;
        while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
                keep--;
        char marker[48];
        int m = snprintf(marker, sizeof(marker), "\xe2\x80\xa6[+%zu bytes]", len - keep);
        char out[SANITIZE_MAX_STRING + sizeof(marker)];
        memcpy(out, s, keep);
        memcpy(out + keep, marker, (size_t)m);
        return json_stringn(out, keep + (size_t)m);
}

static int sanitize_value(json_t **slot, const struct sanitize_hooks *hooks);

static int replace(json_t **slot, json_t *nv)
{
        if (!nv)
                return -ENOMEM;
        json_decref(*slot);
        *slot = nv;
        return 0;
}

static int sanitize_string(json_t **slot, const struct sanitize_hooks *hooks)
{
        if (hooks && hooks->redact) {
                json_t *r = hooks->redact(hooks->ctx, json_string_value(*slot), json_string_length(*slot));
                if (r && replace(slot, r) < 0)
                        return -ENOMEM;
        }
        json_t *t = truncated(json_string_value(*slot), json_string_length(*slot));
        return t ? replace(slot, t) : 0;
}

static int sanitize_object(json_t *obj, const struct sanitize_hooks *hooks)
{
        const char *key;
        json_t *v;
        void *iter;
        json_object_foreach(obj, key, v) {
                json_t *nv = json_incref(v);
                int r = sanitize_key_is_secret(key) ? replace(&nv, hashed(v)) : sanitize_value(&nv, hooks);
                iter = json_object_key_to_iter(key);
                if (r < 0 || json_object_iter_set_new(obj, iter, nv) < 0) {
                        json_decref(nv);
                        return -ENOMEM;
                }
        }
        return 0;
}

static int sanitize_value(json_t **slot, const struct sanitize_hooks *hooks)
{
        switch (json_typeof(*slot)) {
        case JSON_STRING:
                return sanitize_string(slot, hooks);
        case JSON_OBJECT:
                return sanitize_object(*slot, hooks);
        case JSON_ARRAY:
                for (size_t i = 0; i < json_array_size(*slot); i++) {
                        json_t *e = json_incref(json_array_get(*slot, i));
                        if (sanitize_value(&e, hooks) < 0 || json_array_set_new(*slot, i, e) < 0)
                                return -ENOMEM;
                }
                return 0;
        case JSON_INTEGER: case JSON_REAL: case JSON_TRUE: case JSON_FALSE: case JSON_NULL:
                return 0;
        default:
                return -EINVAL;
        }
}

/* A new object with f(value) under each of object v's keys (f returns a new reference);
 * NULL when f or memory fails. */
static json_t *map_members(json_t *v, json_t *(*f)(json_t *))
{
        json_t *o = json_object();
        const char *key;
        json_t *e;
        json_object_foreach(v, key, e)
                if (!o || json_object_set_new_nocheck(o, key, f(e)) < 0) {
                        json_decref(o);
                        return NULL;
                }
        return o;
}

static json_t *shape_of(json_t *v)
{
        char tmp[48];
        switch (json_typeof(v)) {
        case JSON_STRING:
                snprintf(tmp, sizeof(tmp), "string(%zu)", json_string_length(v));
                return json_string(tmp);
        case JSON_INTEGER: return json_string("integer");
        case JSON_REAL: return json_string("number");
        case JSON_TRUE: case JSON_FALSE: return json_string("boolean");
        case JSON_NULL: return json_string("null");
        case JSON_OBJECT: return map_members(v, shape_of);
        case JSON_ARRAY: {
                json_t *a = json_array();
                size_t n = json_array_size(v);
                for (size_t i = 0; a && i < n && i < SANITIZE_MAX_ITEMS; i++)
                        if (json_array_append_new(a, shape_of(json_array_get(v, i))) < 0) {
                                json_decref(a);
                                return NULL;
                        }
                if (a && n > SANITIZE_MAX_ITEMS) {
                        snprintf(tmp, sizeof(tmp), "+%zu more", n - SANITIZE_MAX_ITEMS);
                        json_array_append_new(a, json_string(tmp));
                }
                return a;
        }
        default:
                return NULL;
        }
}

json_t *sanitize_arguments(const char *raw, size_t len, enum args_mode mode,
                           const struct sanitize_hooks *hooks)
{
        return sanitize_arguments_parsed(NULL, raw, len, mode, hooks);
}

/* A copy of v whose objects and arrays are new and whose strings, numbers and literals are
 * v's own, shared by reference: sanitising replaces values in the copy's containers and
 * never changes a value itself (replace() above), so v stays as it was, at the cost of
 * the containers only. */
static json_t *copy_containers(json_t *v)
{
        if (json_is_object(v))
                return map_members(v, copy_containers);
        if (json_is_array(v)) {
                json_t *a = json_array();
                size_t i;
                json_t *e;
                json_array_foreach(v, i, e)
                        if (!a || json_array_append_new(a, copy_containers(e)) < 0) {
                                json_decref(a);
                                return NULL;
                        }
                return a;
        }
        return json_incref(v);
}

/* v (taken over) as the record holds it under mode. */
static json_t *sanitize_tree(json_t *v, enum args_mode mode, const struct sanitize_hooks *hooks)
{
        switch (mode) {
        case ARGS_FULL:
                return v;
        case ARGS_SHAPE: {
                json_t *s = shape_of(v);
                json_decref(v);
                return s;
        }
        case ARGS_SANITIZED:
                if (sanitize_value(&v, hooks) < 0) {
                        json_decref(v);
                        return NULL;
                }
                return v;
        case ARGS_NONE:
        default:
                json_decref(v);
                return NULL;
        }
}

json_t *sanitize_arguments_taken(json_t *tree, enum args_mode mode, const struct sanitize_hooks *hooks)
{
        return tree ? sanitize_tree(tree, mode, hooks) : NULL;
}

json_t *sanitize_arguments_parsed(json_t *tree, const char *raw, size_t len, enum args_mode mode,
                                  const struct sanitize_hooks *hooks)
{
        if (mode == ARGS_NONE)
                return NULL;
        if (tree && mode == ARGS_SHAPE)
                return shape_of(tree);
        json_t *v = tree ? copy_containers(tree) : json_build_validated(raw, len, false);
        if (!v && tree)
                return NULL; /* out of memory */
        if (!v) /* integers beyond 64 bits: jansson keeps them only as reals */
                v = json_build_validated(raw, len, true);
        if (!v)
                return json_string("[arguments not representable]");
        return sanitize_tree(v, mode, hooks);
}
