#include "inspect/rules/decision.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* What snprintf("%s") would leave (cut to fit, NUL-terminated), without a printf per
 * decision: every call through the relay is decided at least once. */
static void copy_rule(char *buf, size_t size, const char *rule)
{
        size_t n = rule ? strnlen(rule, size - 1) : 0;
        if (n)
                memcpy(buf, rule, n);
        buf[n] = '\0';
}

void rule_allow(struct rule_decision *d, const char *rule)
{
        d->allow = true;
        copy_rule(d->rule, sizeof(d->rule), rule);
        d->reason[0] = '\0';
}

void rule_deny(struct rule_decision *d, const char *rule, const char *fmt, ...)
{
        va_list ap;

        d->allow = false;
        copy_rule(d->rule, sizeof(d->rule), rule);
        va_start(ap, fmt);
        vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
        va_end(ap);
}

bool rule_format(char *buf, size_t size, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        return n >= 0 && (size_t)n < size;
}

void rule_reason_prefix(struct rule_decision *d, const char *prefix)
{
        char old[RULE_REASON_MAX];

        memcpy(old, d->reason, sizeof(old));
        rule_format(d->reason, sizeof(d->reason), "%s: %s", prefix, old);
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
