/* rule_format: its own formatter for the conversions rule pointers use (%s, %d, %zu, %ld,
 * %%) writes exactly what snprintf writes, at every buffer size (cut, NUL-terminated, and
 * "did it fit" as snprintf's return value tells), and other formats still go to vsnprintf. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "inspect/rules/decision.h"
#include "tap.h"

/* cutting the output is what is being compared */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define SAME(size, ...)                                                                            \
        do {                                                                                       \
                char a[64], b[64];                                                                 \
                memset(a, 'x', sizeof(a));                                                         \
                memset(b, 'x', sizeof(b));                                                         \
                bool fit = rule_format(a, (size), __VA_ARGS__);                                    \
                int n = snprintf(b, (size), __VA_ARGS__);                                          \
                if (memcmp(a, b, sizeof(a)) != 0 || fit != (n >= 0 && (size_t)n < (size))) {       \
                        bad++;                                                                     \
                        if (bad < 5)                                                               \
                                printf("#   size %zu: \"%.64s\" vs snprintf \"%.64s\"\n",          \
                                       (size_t)(size), a, b);                                      \
                }                                                                                  \
                tried++;                                                                           \
        } while (0)

int main(void)
{
        size_t tried = 0, bad = 0;
        const char *tool = "read_text_file", *ptr = "/path~1to", *empty = "";
        for (size_t size = 1; size <= 48; size++) {
                SAME(size, "%s/%s", "/mcp/tools", tool);
                SAME(size, "%s/deny/%zu", ptr, (size_t)7);
                SAME(size, "/mcp/paths/%s/%zu", "write", SIZE_MAX);
                SAME(size, "%s", empty);
                SAME(size, "literal only");
                SAME(size, "100%% of %s, %d and %d", tool, INT_MIN, 0);
                SAME(size, ":%ld:%ld", LONG_MIN, LONG_MAX);
                SAME(size, "argument %s", ptr);
                SAME(size, "%s: %s", "prefix", "a reason that is longer than most buffers here");
                SAME(size, "%x and %s", 255u, tool); /* not one of its own: vsnprintf */
        }
        tap_ok(bad == 0, "rule_format writes what snprintf writes: %zu/%zu formats and sizes", tried - bad, tried);
        return tap_done();
}
