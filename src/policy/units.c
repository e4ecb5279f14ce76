/* The units of policy.md: sizes (binary K/M/G/T), times (ms/s/m/h) and rates (N/s, N/min,
 * N/h). Consumers and the validator share these parsers, so a value the validator accepts
 * is exactly the value that gets enforced. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "policy/policy.h"

/* Leading decimal digits without sign or overflow; *end after them. */
static int parse_digits(const char *s, uint64_t *v, const char **end)
{
        uint64_t x = 0;
        const char *c = s;
        if (!isdigit((unsigned char)*c))
                return -EINVAL;
        for (; isdigit((unsigned char)*c); c++) {
                uint64_t d = (uint64_t)(*c - '0');
                if (x > (UINT64_MAX - d) / 10)
                        return -EINVAL;
                x = x * 10 + d;
        }
        *v = x;
        *end = c;
        return 0;
}

static int mul_checked(uint64_t a, uint64_t b, uint64_t *out)
{
        if (b && a > UINT64_MAX / b)
                return -EINVAL;
        *out = a * b;
        return 0;
}

int policy_parse_size(const char *s, uint64_t *bytes)
{
        uint64_t v;
        const char *end;
        if (!s || parse_digits(s, &v, &end) < 0)
                return -EINVAL;
        static const char units[] = "KMGT";
        uint64_t mult = 1;
        if (*end) {
                const char *u = strchr(units, toupper((unsigned char)*end));
                if (!u || end[1] != '\0')
                        return -EINVAL;
                mult = 1ULL << (10 * (u - units + 1));
        }
        return mul_checked(v, mult, bytes);
}

int policy_parse_time(const char *s, uint64_t *ms)
{
        uint64_t v;
        const char *end;
        if (!s || parse_digits(s, &v, &end) < 0)
                return -EINVAL;
        static const struct { const char *suffix; uint64_t ms; } units[] = {
                { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
        };
        if (*end == '\0')       /* a bare number is ambiguous, except 0 */
                return v == 0 ? (*ms = 0, 0) : -EINVAL;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                if (!strcmp(end, units[i].suffix))
                        return mul_checked(v, units[i].ms, ms);
        return -EINVAL;
}

int policy_parse_rate(const char *s, uint64_t *count, uint64_t *per_ms)
{
        uint64_t v;
        const char *end;
        if (!s || parse_digits(s, &v, &end) < 0 || *end != '/' || v == 0)
                return -EINVAL;
        static const struct { const char *unit; uint64_t ms; } units[] = {
                { "s", 1000 }, { "min", 60000 }, { "h", 3600000 },
        };
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                if (!strcmp(end + 1, units[i].unit)) {
                        *count = v;
                        *per_ms = units[i].ms;
                        return 0;
                }
        return -EINVAL;
}
