#include "sandbox/resolve.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

bool path_under(const char *path, const char *root)
{
        if (!strcmp(root, "/"))
                return path[0] == '/';
        size_t n = strlen(root);
        return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

unsigned path_depth(const char *path)
{
        unsigned d = 0;
        for (const char *p = path; *p; p++)
                if (*p == '/' && p[1] && p[1] != '/')
                        d++;
        return d;
}

void resolved_clear(struct resolved *r)
{
        free(r->real);
        for (size_t i = 0; i < r->n_links; i++) {
                free(r->links[i].at);
                free(r->links[i].text);
        }
        free(r->links);
        *r = (struct resolved){ 0 };
}

static int add_link(struct resolved *r, const char *at, const char *text)
{
        struct resolve_link *l = realloc(r->links, (r->n_links + 1) * sizeof(*l));
        if (!l)
                return -ENOMEM;
        r->links = l;
        l[r->n_links].at = strdup(at);
        l[r->n_links].text = strdup(text);
        if (!l[r->n_links].at || !l[r->n_links].text) {
                free(l[r->n_links].at);
                free(l[r->n_links].text);
                return -ENOMEM;
        }
        r->n_links++;
        return 0;
}

/* cur: resolved prefix ("" for "/"); rest: what is left to walk, replaced as links expand. */
struct walk {
        char cur[PATH_MAX];
        char rest[PATH_MAX];
        unsigned links;
};

static void pop_component(char *cur)
{
        char *slash = strrchr(cur, '/');
        if (slash)
                *slash = '\0';
}

/* Takes the next component of w->rest into comp; false when none is left. */
static bool next_component(struct walk *w, char *comp, size_t size)
{
        char *p = w->rest;
        while (*p == '/')
                p++;
        if (!*p)
                return false;
        size_t n = strcspn(p, "/");
        snprintf(comp, size, "%.*s", (int)n, p);
        memmove(w->rest, p + n, strlen(p + n) + 1);
        return true;
}

static int follow(struct walk *w, struct resolved *out, const char *cand, const char *path,
                  struct mc_error *err)
{
        char text[PATH_MAX];
        ssize_t n = readlink(cand, text, sizeof(text) - 1);
        if (n < 0)
                return mc_error_errno(err, errno, "%s: reading the link %s", path, cand);
        text[n] = '\0';
        if (++w->links > RESOLVE_MAX_LINKS)
                return mc_error_errno(err, ELOOP, "%s", path);
        if (add_link(out, cand, text) < 0)
                return mc_error_set(err, ENOMEM, "out of memory");
        char next[PATH_MAX];
        if (snprintf(next, sizeof(next), "%s/%s", text, w->rest) >= (int)sizeof(next))
                return mc_error_errno(err, ENAMETOOLONG, "%s", path);
        memcpy(w->rest, next, sizeof(next));
        if (text[0] == '/')
                w->cur[0] = '\0';
        return 0;
}

int resolve_path(const char *path, struct resolved *out, struct mc_error *err)
{
        *out = (struct resolved){ 0 };
        _cleanup_free_ struct walk *w = calloc(1, sizeof(*w));
        if (!w)
                return mc_error_set(err, ENOMEM, "out of memory");
        if (path[0] != '/' || snprintf(w->rest, sizeof(w->rest), "%s", path) >= (int)sizeof(w->rest))
                return mc_error_set(err, EINVAL, "%s: not an absolute path", path);
        char comp[NAME_MAX + 1];
        out->exists = true;
        while (next_component(w, comp, sizeof(comp))) {
                if (!strcmp(comp, "."))
                        continue;
                if (!strcmp(comp, "..")) {
                        pop_component(w->cur);
                        continue;
                }
                char cand[PATH_MAX];
                if (snprintf(cand, sizeof(cand), "%s/%s", w->cur, comp) >= (int)sizeof(cand)) {
                        resolved_clear(out);
                        return mc_error_errno(err, ENAMETOOLONG, "%s", path);
                }
                struct stat st;
                if (out->exists && lstat(cand, &st) < 0) {
                        if (errno != ENOENT && errno != ENOTDIR) {
                                int e = errno;
                                resolved_clear(out);
                                return mc_error_errno(err, e, "%s", path);
                        }
                        out->exists = false;
                }
                if (out->exists && S_ISLNK(st.st_mode)) {
                        int r = follow(w, out, cand, path, err);
                        if (r < 0) {
                                resolved_clear(out);
                                return r;
                        }
                        continue;
                }
                memcpy(w->cur, cand, sizeof(cand));
                if (out->exists)
                        out->st = st;
        }
        out->real = strdup(w->cur[0] ? w->cur : "/");
        if (!out->real) {
                resolved_clear(out);
                return mc_error_set(err, ENOMEM, "out of memory");
        }
        if (out->exists && !w->cur[0] && stat("/", &out->st) < 0) {
                int e = errno;
                resolved_clear(out);
                return mc_error_errno(err, e, "/");
        }
        return 0;
}
