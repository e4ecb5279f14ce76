/* Resource ownership: one variable owns a resource and releases it when it goes out of
 * scope; ownership moves with TAKE_PTR()/TAKE_FD(). Modelled on systemd's src/basic. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <jansson.h>

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void fclosep(FILE **f) { if (*f) fclose(*f); }
/* jansson >= 2.11 ships json_decrefp (for json_auto_t); define it only for older ones. */
#if JANSSON_VERSION_HEX < 0x020b00
static inline void json_decrefp(json_t **j) { json_decref(*j); }
#endif
static inline void strv_freep(char ***v)
{
        if (*v)
                for (char **p = *v; *p; p++)
                        free(*p);
        free(*v);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_json_ _cleanup_(json_decrefp)
#define _cleanup_strv_ _cleanup_(strv_freep)

/* Hand the value over and leave the owner empty, so its cleanup does nothing. */
#define TAKE_PTR(p) ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })
#define TAKE_FD(fd) ({ int _tf = (fd); (fd) = -1; _tf; })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
