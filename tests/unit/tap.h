/* A minimal TAP producer for the unit tests: `ok N - name` lines and a plan at the end. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static bool tap_ok(bool cond, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        if (!cond)
                tap_failed++;
        fflush(stdout);
        return cond;
}

/* A small deterministic generator for randomised cases (the same inputs on every run). */
__attribute__((unused))
static unsigned tap_rand(unsigned *seed)
{
        *seed = *seed * 1103515245u + 12345u;
        return *seed >> 16;
}

/* Compare strings; print both on mismatch as TAP diagnostics. */
__attribute__((unused))
static bool tap_is_str(const char *got, const char *want, const char *name)
{
        bool same = (got == NULL && want == NULL) || (got && want && !strcmp(got, want));
        tap_ok(same, "%s", name);
        if (!same) {
                printf("#   got:  %s\n", got ? got : "(null)");
                printf("#   want: %s\n", want ? want : "(null)");
        }
        return same;
}

__attribute__((unused))
static void tap_skip(const char *why, const char *name)
{
        printf("ok %d - %s # SKIP %s\n", ++tap_n, name, why);
}

__attribute__((unused))
static int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
