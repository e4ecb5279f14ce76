/* Walking a host path the way the kernel will, before anything is mounted: every symlink
 * on the way is recorded (the view must hold the same link, or /lib -> usr/lib would
 * dangle inside) and the result is the real path, which is where the bind goes. */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "util/error.h"

#define RESOLVE_MAX_LINKS 40

struct resolve_link {
        char *at;       /* the link's own path (its parent already resolved) */
        char *text;     /* what it points to, as readlink() says */
};

struct resolved {
        char *real;             /* the path with every symlink resolved */
        bool exists;            /* false: a component is missing; real is lexical past it */
        struct stat st;         /* of real, when it exists */
        struct resolve_link *links;
        size_t n_links;
};

/* 0 (also when the path does not exist: see exists) or -errno for anything else (EACCES,
 * ELOOP, ...) with err naming the path. */
int resolve_path(const char *path, struct resolved *out, struct mc_error *err);
void resolved_clear(struct resolved *r);

/* Lexical helpers for absolute, normalised paths. */
bool path_under(const char *path, const char *root);    /* path == root or below it */
unsigned path_depth(const char *path);                  /* "/" 0, "/a" 1, "/a/b" 2 */
