#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

static int normalise(int code)
{
        if (code < 0)
                code = -code;
        return code ? code : EINVAL;
}

int mc_error_set(struct mc_error *err, int code, const char *fmt, ...)
{
        code = normalise(code);
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
                err->code = code;
        }
        return -code;
}

int mc_error_errno(struct mc_error *err, int code, const char *fmt, ...)
{
        code = normalise(code);
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
                if (n >= 0 && (size_t)n < sizeof(err->msg))
                        snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(code));
                err->code = code;
        }
        return -code;
}

int mc_error_prefix(struct mc_error *err, const char *fmt, ...)
{
        if (!err)
                return -1;
        char prefix[MC_ERROR_MAX], old[MC_ERROR_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof(old));
        /* Truncation is acceptable for a diagnostic; say so to the compiler by bounding
         * each part explicitly. */
        size_t np = strnlen(prefix, sizeof(err->msg) - 3);
        memcpy(err->msg, prefix, np);
        memcpy(err->msg + np, ": ", 2);
        size_t room = sizeof(err->msg) - np - 3;
        size_t no = strnlen(old, room);
        memcpy(err->msg + np + 2, old, no);
        err->msg[np + 2 + no] = '\0';
        err->code = normalise(err->code);
        return -err->code;
}

void mc_error_clear(struct mc_error *err)
{
        if (err) {
                err->code = 0;
                err->msg[0] = '\0';
        }
}
