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

/* rule_format's own conversions: %s, %d, %zu, %ld and %%, the ones rule pointers and
 * argument names are built with. A format with anything else goes to vsnprintf. */
static bool simple_format(const char *fmt)
{
        for (const char *p = strchr(fmt, '%'); p; p = strchr(p, '%')) {
                p++;
                if (*p == 's' || *p == 'd' || *p == '%')
                        p++;
                else if ((p[0] == 'z' && p[1] == 'u') || (p[0] == 'l' && p[1] == 'd'))
                        p += 2;
                else
                        return false;
        }
        return true;
}

/* Appends n bytes to what fits of buf[size] (size > 0); len counts every byte, kept or not,
 * as snprintf's return value does. */
static void put(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
        if (*len < size - 1) {
                size_t room = size - 1 - *len;
                memcpy(buf + *len, s, n < room ? n : room);
        }
        *len += n;
}

static void put_number(char *buf, size_t size, size_t *len, unsigned long long v, bool negative)
{
        char digits[24];
        size_t i = sizeof(digits);
        do {
                digits[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        if (negative)
                digits[--i] = '-';
        put(buf, size, len, digits + i, sizeof(digits) - i);
}

static void put_signed(char *buf, size_t size, size_t *len, long long v)
{
        put_number(buf, size, len, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, v < 0);
}

/* What vsnprintf would write for the simple formats above, without its machinery: every
 * call through the relay formats a few rule pointers, and this is most of their cost. */
static size_t format_simple(char *buf, size_t size, const char *fmt, va_list ap)
{
        size_t len = 0;
        for (const char *p = fmt; *p;) {
                const char *pct = strchr(p, '%');
                if (!pct) {
                        put(buf, size, &len, p, strlen(p));
                        break;
                }
                put(buf, size, &len, p, (size_t)(pct - p));
                p = pct + 1;
                if (*p == 's') {
                        const char *s = va_arg(ap, const char *);
                        if (!s)
                                s = "(null)";
                        put(buf, size, &len, s, strlen(s));
                        p++;
                } else if (*p == 'd') {
                        put_signed(buf, size, &len, va_arg(ap, int));
                        p++;
                } else if (*p == 'z') {
                        put_number(buf, size, &len, va_arg(ap, size_t), false);
                        p += 2;
                } else if (*p == 'l') {
                        put_signed(buf, size, &len, va_arg(ap, long));
                        p += 2;
                } else {
                        put(buf, size, &len, "%", 1);
                        p++;
                }
        }
        buf[len < size ? len : size - 1] = '\0';
        return len;
}

bool rule_format(char *buf, size_t size, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        if (size > 0 && simple_format(fmt)) {
                size_t len = format_simple(buf, size, fmt, ap);
                va_end(ap);
                return len < size;
        }
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
