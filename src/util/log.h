/* Diagnostics go to stderr, one line each, prefixed "mcpcage: ". Never stdout: stdout
 * belongs to the protocol. */
#pragma once

enum log_level { LOG_QUIET = -1, LOG_NORMAL = 0, LOG_VERBOSE = 1, LOG_DEBUG = 2 };

void log_set_level(int level);
int log_get_level(void);
/* Always printed unless --quiet suppresses warnings; errors are always printed. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed with -v. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed with -vv. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
