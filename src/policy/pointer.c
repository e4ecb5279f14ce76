/* JSON pointers (RFC 6901) for error messages and lookups: every refusal names the exact
 * place in the policy, so the user can find the line to fix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy-internal.h"

size_t policy_ptr_push(struct ptr *p, const char *key)
{
        size_t old = p->len;
        if (p->len + 1 < sizeof(p->s))
                p->s[p->len++] = '/';
        for (const char *c = key; *c && p->len + 2 < sizeof(p->s); c++) {
                if (*c == '~' || *c == '/') {
                        p->s[p->len++] = '~';
                        p->s[p->len++] = *c == '~' ? '0' : '1';
                } else {
                        p->s[p->len++] = *c;
                }
        }
        p->s[p->len] = '\0';
        return old;
}

size_t policy_ptr_push_index(struct ptr *p, size_t index)
{
        char num[32];
        snprintf(num, sizeof(num), "%zu", index);
        return policy_ptr_push(p, num);
}

/* One reference token, unescaped; *next points past it. NULL when malformed. */
static char *next_token(const char **cursor)
{
        const char *s = *cursor + 1;    /* skip the '/' */
        size_t n = strcspn(s, "/");
        char *tok = malloc(n + 1);
        if (!tok)
                return NULL;
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '~') {
                        if (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1')) {
                                free(tok);
                                return NULL;
                        }
                        tok[o++] = s[i + 1] == '0' ? '~' : '/';
                        i++;
                } else {
                        tok[o++] = s[i];
                }
        }
        tok[o] = '\0';
        *cursor = s + n;
        return tok;
}

json_t *json_pointer_get(json_t *root, const char *pointer)
{
        if (!root || !pointer)
                return NULL;
        if (pointer[0] == '\0')
                return root;
        if (pointer[0] != '/')
                return NULL;
        json_t *cur = root;
        const char *c = pointer;
        while (cur && *c == '/') {
                char *tok = next_token(&c);
                if (!tok)
                        return NULL;
                if (json_is_object(cur)) {
                        cur = json_object_get(cur, tok);
                } else if (json_is_array(cur)) {
                        char *end;
                        unsigned long i = strtoul(tok, &end, 10);
                        bool digits = tok[0] >= '0' && tok[0] <= '9' && *end == '\0' &&
                                      (tok[0] != '0' || tok[1] == '\0');
                        cur = digits ? json_array_get(cur, i) : NULL;
                } else {
                        cur = NULL;
                }
                free(tok);
        }
        return cur;
}

json_t *policy_get(const struct policy *p, const char *pointer)
{
        return p ? json_pointer_get(p->root, pointer) : NULL;
}
