#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int current_level = LOG_NORMAL;

void log_set_level(int level) { current_level = level; }
int log_get_level(void) { return current_level; }

/* One write() per line so our lines never interleave with the child's stderr mid-line. */
__attribute__((format(printf, 1, 0)))
static void emit(const char *fmt, va_list ap)
{
        char line[4096];
        int saved = errno;
        int n = snprintf(line, sizeof(line), "mcpcage: ");
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
        size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
        if (len > sizeof(line) - 2)
                len = sizeof(line) - 2;
        line[len++] = '\n';
        const char *p = line;
        while (len > 0) {
                ssize_t w = write(STDERR_FILENO, p, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        break;
                p += w;
                len -= (size_t)w;
        }
        errno = saved;
}

#define DEFINE_LOG(fn, min)                          \
        void fn(const char *fmt, ...)                \
        {                                            \
                if (current_level < (min))           \
                        return;                      \
                va_list ap;                          \
                va_start(ap, fmt);                   \
                emit(fmt, ap);                       \
                va_end(ap);                          \
        }

DEFINE_LOG(log_error, LOG_QUIET)
DEFINE_LOG(log_warn, LOG_NORMAL)
DEFINE_LOG(log_info, LOG_VERBOSE)
DEFINE_LOG(log_debug, LOG_DEBUG)
