#include "inspect/rules/pointer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Decode one reference token (p..p+n) into small when it fits (the usual short key: no
 * allocation on every call's every rule), else into a fresh string the caller frees; NULL on
 * a bad escape or no memory. */
static char *decode_token(const char *p, size_t n, char *small, size_t small_size, bool *bad)
{
        char *t = n < small_size ? small : malloc(n + 1);
        size_t k = 0;

        *bad = false;
        if (!t)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (p[i] != '~') {
                        t[k++] = p[i];
                        continue;
                }
                if (i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
                        t[k++] = p[++i] == '0' ? '~' : '/';
                        continue;
                }
                *bad = true;
                if (t != small)
                        free(t);
                return NULL;
        }
        t[k] = '\0';
        return t;
}

static bool parse_index(const char *t, size_t *idx)
{
        char *end;

        if (!*t || (t[0] == '0' && t[1]) || t[0] < '0' || t[0] > '9')
                return false;
        errno = 0;
        unsigned long long v = strtoull(t, &end, 10);
        if (errno || *end)
                return false;
        *idx = (size_t)v;
        return true;
}

/* One step: *cur becomes its member/element named by token, or NULL when absent. */
static int step(json_t **cur, const char *token, const char **why)
{
        size_t idx;

        if (json_is_object(*cur)) {
                *cur = json_object_get(*cur, token);
                return 0;
        }
        if (json_is_array(*cur)) {
                if (!parse_index(token, &idx))
                        return *why = "array index is not a number", -EINVAL;
                *cur = json_array_get(*cur, idx);
                return 0;
        }
        return *why = "a member is looked up in a value that is not an object or array",
               -EINVAL;
}

int pointer_reach(json_t *root, const char *pointer, struct pointer_hits *out, const char **why)
{
        json_t *cur = root;
        const char *p = pointer;

        *out = (struct pointer_hits){ 0 };
        if (*p && *p != '/')
                return *why = "pointer does not start with \"/\"", -EINVAL;
        while (cur && *p == '/') {
                p++;
                size_t n = strcspn(p, "/");
                bool last = p[n] == '\0', bad;
                if (last && n == 1 && p[0] == '*') {
                        if (!json_is_array(cur))
                                return *why = "\"*\" applied to a value that is not an array",
                                       -EINVAL;
                        out->each = cur;
                        return 0;
                }
                char small[128];
                char *tok = decode_token(p, n, small, sizeof(small), &bad);
                if (!tok)
                        return bad ? (*why = "bad \"~\" escape in pointer", -EINVAL) : -ENOMEM;
                int r = step(&cur, tok, why);
                if (tok != small)
                        free(tok);
                if (r < 0)
                        return r;
                p += n;
        }
        out->one = cur;
        return 0;
}
