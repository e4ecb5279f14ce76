#include "sandbox/strlist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int strlist_push(struct strlist *l, char *s)
{
        if (!s)
                return -ENOMEM;
        char **v = realloc(l->v, (l->n + 2) * sizeof(*v));
        if (!v) {
                free(s);
                return -ENOMEM;
        }
        v[l->n++] = s;
        v[l->n] = NULL;
        l->v = v;
        return 0;
}

int strlist_add(struct strlist *l, const char *s)
{
        return strlist_push(l, strdup(s));
}

int strlist_addf(struct strlist *l, const char *fmt, ...)
{
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        return strlist_push(l, n < 0 ? NULL : s);
}

bool strlist_contains(const struct strlist *l, const char *s)
{
        for (size_t i = 0; i < l->n; i++)
                if (!strcmp(l->v[i], s))
                        return true;
        return false;
}

void strlist_free(struct strlist *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}
