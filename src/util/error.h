/* The error object passed last to library-like functions (crun's libcrun_error_t idiom).
 * A function returns 0 or a negative errno; on failure it fills *err with one line that
 * names the file, the JSON pointer and the reason. The caller checks on the next line. */
#pragma once

#include <stddef.h>

#define MC_ERROR_MAX 1024

struct mc_error {
        int code;               /* positive errno-style code, 0 when unset */
        char msg[MC_ERROR_MAX]; /* without the "mcpcage: " prefix, without newline */
};

/* Fill err (err may be NULL) and return -code (code < 0 is accepted too). */
int mc_error_set(struct mc_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Same, appending ": strerror(code)". */
int mc_error_errno(struct mc_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Prefix an existing message ("context: old message"); returns -err->code. */
int mc_error_prefix(struct mc_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void mc_error_clear(struct mc_error *err);
