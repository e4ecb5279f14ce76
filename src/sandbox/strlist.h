/* A growable NULL-terminated list of owned strings: the environment handed to the server,
 * the reasons a run is degraded. The list is always NULL-terminated, so v can be passed to
 * execve() as it is. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct strlist {
        char **v;       /* NULL-terminated; NULL while empty */
        size_t n;
};

int strlist_push(struct strlist *l, char *s);     /* takes s (also on failure); -ENOMEM */
int strlist_add(struct strlist *l, const char *s); /* copies s */
int strlist_addf(struct strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool strlist_contains(const struct strlist *l, const char *s);
void strlist_free(struct strlist *l);
static inline void strlist_freep(struct strlist *l) { strlist_free(l); }
#define _cleanup_strlist_ __attribute__((cleanup(strlist_freep)))
