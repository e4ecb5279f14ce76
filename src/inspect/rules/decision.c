#include "inspect/rules/decision.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void rule_allow(struct rule_decision *d, const char *rule)
{
        d->allow = true;
        snprintf(d->rule, sizeof(d->rule), "%s", rule ? rule : "");
        d->reason[0] = '\0';
}

void rule_deny(struct rule_decision *d, const char *rule, const char *fmt, ...)
{
        va_list ap;

        d->allow = false;
        snprintf(d->rule, sizeof(d->rule), "%s", rule ? rule : "");
        va_start(ap, fmt);
        vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
        va_end(ap);
}

bool rule_pointer_append(char *ptr, size_t size, const char *token)
{
        size_t n = strnlen(ptr, size);

        if (n + 1 >= size)
                return false;
        ptr[n++] = '/';
        for (const char *t = token; *t; t++) {
                const char *rep = *t == '~' ? "~0" : *t == '/' ? "~1" : NULL;
                size_t need = rep ? 2 : 1;
                if (n + need >= size) {
                        ptr[n] = '\0';
                        return false;
                }
                if (rep) {
                        memcpy(ptr + n, rep, 2);
                } else {
                        ptr[n] = *t;
                }
                n += need;
        }
        ptr[n] = '\0';
        return true;
}
