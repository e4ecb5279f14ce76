/* Path canonicalisation and root checks; see paths.h for the rules and the threats they
 * answer (threats.md §2 "path args"). */
#include "inspect/rules/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inspect/rules/glob.h"
#include "inspect/rules/pointer.h"
#include "util/cleanup.h"

struct path_root {
        char *lexical;          /* normalised as written */
        char *resolved;         /* symlinks resolved; NULL when the root does not exist */
        enum path_mode mode;
        char rule[RULE_POINTER_MAX];
};

struct path_deny {
        const char *glob;       /* borrowed from globs (owned below) */
        /* For "**" "/" plus one last component (the commonest deny glob): that component,
         * which must match the path's last one (glob_match's own fast path, decided once
         * here instead of on every test); literal: it has no glob character (strcmp). */
        const char *last;
        bool literal;
        char rule[RULE_POINTER_MAX];
};

/* The O_PATH descriptors lexical_is_resolved leaves open, closed in batches: a close
 * per checked path was a syscall as costly as the check itself (~1.3 us here), and
 * descriptors taken one after another are consecutive numbers that one close_range ends
 * together. Only a run of numbers that are all held here is closed as a range. */
#define HELD_MAX 16
struct held_fds {
        int fd[HELD_MAX];
        size_t n;
};

struct path_rules {
        struct held_fds *held;  /* mutable while the rules are const to their users */
        char *workdir;
        struct path_root *roots;
        size_t n_roots;
        struct path_deny *deny;
        size_t n_deny;
        json_t *globs;          /* holds a reference so the deny strings stay valid */
};

/* Lexical normalisation of an absolute path: "." dropped, ".." removes the previous
 * component ("/.." is "/", as for the kernel), repeated "/" collapsed (Linux reads "//" as
 * "/", so "//etc" is "/etc"). */
static char *normalise(const char *abs)
{
        size_t len = strlen(abs);
        char *out = malloc(len + 2);
        size_t n = 1;

        if (!out)
                return NULL;
        out[0] = '/';
        for (const char *p = abs; *p;) {
                size_t c = strcspn(p, "/");
                if (c == 0 || (c == 1 && p[0] == '.')) {
                        /* empty or "." */
                } else if (c == 2 && p[0] == '.' && p[1] == '.') {
                        while (n > 1 && out[n - 1] != '/')
                                n--;
                        if (n > 1)
                                n--;
                } else {
                        if (n > 1)
                                out[n++] = '/';
                        memcpy(out + n, p, c);
                        n += c;
                }
                p += c;
                if (*p == '/')
                        p++;
        }
        out[n] = '\0';
        return out;
}

static char *make_absolute(const char *workdir, const char *p)
{
        char *abs = NULL;

        if (p[0] == '/')
                return strdup(p);
        if (asprintf(&abs, "%s/%s", workdir, p) < 0)
                return NULL;
        return abs;
}

/* Append "/comp" to cur (a PATH_MAX buffer holding a resolved path). */
static int append_component(char *cur, const char *comp, size_t c)
{
        size_t n = strlen(cur);
        if (n + 1 + c >= PATH_MAX)
                return -ENAMETOOLONG;
        if (n > 1)
                cur[n++] = '/';
        memcpy(cur + n, comp, c);
        cur[n + c] = '\0';
        return 0;
}

/* The rest of a path whose first missing component starts at p: appended lexically, and
 * refused when it holds ".." (the kernel would resolve ".." against a directory that does
 * not exist yet, something a later mkdir by the server could make anything). */
static int append_missing_tail(char *cur, const char *p, const char **why)
{
        while (*p) {
                size_t c = strcspn(p, "/");
                if (c == 2 && p[0] == '.' && p[1] == '.') {
                        *why = "\"..\" after a component that does not exist";
                        return -EINVAL;
                }
                if (c > 0 && !(c == 1 && p[0] == '.')) {
                        int r = append_component(cur, p, c);
                        if (r < 0)
                                return r;
                }
                p += c;
                if (*p == '/')
                        p++;
        }
        return 0;
}

static void held_release(struct held_fds *h)
{
        for (size_t i = 1; i < h->n; i++) {     /* ascending: consecutive numbers side by side */
                int v = h->fd[i];
                size_t j = i;
                for (; j > 0 && h->fd[j - 1] > v; j--)
                        h->fd[j] = h->fd[j - 1];
                h->fd[j] = v;
        }
        for (size_t i = 0; i < h->n;) {
                size_t j = i;
                while (j + 1 < h->n && h->fd[j + 1] == h->fd[j] + 1)
                        j++;
                if (j == i || close_range((unsigned)h->fd[i], (unsigned)h->fd[j], 0) < 0)
                        for (size_t k = i; k <= j; k++)
                                close(h->fd[k]);
                i = j + 1;
        }
        h->n = 0;
}

static void held_add(struct held_fds *h, int fd)
{
        h->fd[h->n++] = fd;
        if (h->n == HELD_MAX)
                held_release(h);
}

/* Whether the lexical form of abs is its resolved form, as far as one openat2 with
 * RESOLVE_NO_SYMLINKS tells (O_PATH: the file is not opened for reading or writing, no LSM
 * or driver open runs, a FIFO does not block; its descriptor is held for a batched close),
 * where resolve() below costs one lstat per component (a syscall is ~1 us on a
 * paravirtual guest, and a path argument usually has three to six components). True when:
 * - the path exists and no component is a symlink, so every ".." stepped to a real parent;
 * - or (ENOENT) the kernel stopped at the first component that does not exist and met no
 *   symlink before it (it would have stopped there with ELOOP). What exists is then its
 *   lexical form, and resolve() appends the rest lexically, unless the path holds a ".."
 *   (after a missing component resolve() refuses it): such a path is left to the walk.
 *   This is the path of a file the server is asked to create.
 * False for anything else (a symlink, a file where a directory should be, no search
 * permission, a kernel without openat2): the walk decides. */
static bool lexical_is_resolved(struct held_fds *held, const char *abs)
{
        static bool no_openat2;
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS };

        if (no_openat2)
                return false;
        int fd = (int)syscall(SYS_openat2, AT_FDCWD, abs, &how, sizeof(how));
        if (fd < 0) {
                if (errno == ENOSYS)
                        no_openat2 = true;
                return errno == ENOENT && !strstr(abs, "..");
        }
        held_add(held, fd);
        return true;
}

/* Walk an absolute (unnormalised) path as the kernel would: ".." applies to the resolved
 * directory, not to the text ("/root/link/.." is the parent of the link's target). One
 * lstat per component (a symlink's target through realpath), so a path that exists costs
 * what realpath() would and one that does not yet stops at its first missing component. */
static int resolve(const char *abs, char **out, const char **why)
{
        /* Strings, copied by their length: these buffers are PATH_MAX long, and zeroing
         * or copying them whole cost more than the walk itself. */
        char cur[PATH_MAX], cand[PATH_MAX], real[PATH_MAX];
        struct stat st;

        cur[0] = '/';
        cur[1] = '\0';

        for (const char *p = abs; *p;) {
                size_t c = strcspn(p, "/");
                if (c == 2 && p[0] == '.' && p[1] == '.') {
                        char *slash = strrchr(cur, '/');
                        slash[slash == cur ? 1 : 0] = '\0';
                } else if (c > 0 && !(c == 1 && p[0] == '.')) {
                        memcpy(cand, cur, strlen(cur) + 1);
                        int r = append_component(cand, p, c);
                        if (r < 0)
                                return *why = "path too long", r;
                        if (lstat(cand, &st) < 0) {
                                if (errno != ENOENT)
                                        return *why = "cannot be resolved", -errno;
                                r = append_missing_tail(cand, p + c, why);
                                if (r < 0)
                                        return r;
                                *out = strdup(cand);
                                return *out ? 0 : -ENOMEM;
                        }
                        if (S_ISLNK(st.st_mode)) {
                                if (!realpath(cand, real))
                                        return *why = errno == ENOENT ? "dangling symlink"
                                                                      : "cannot be resolved", -EINVAL;
                                memcpy(cand, real, strlen(real) + 1);
                        }
                        memcpy(cur, cand, strlen(cand) + 1);
                }
                p += c;
                if (*p == '/')
                        p++;
        }
        *out = strdup(cur);
        return *out ? 0 : -ENOMEM;
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                size_t k;
                uint32_t cp;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        k = 1, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        k = 2, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        k = 3, cp = c & 0x07;
                else
                        return false;
                for (size_t j = 1; j <= k; j++) {
                        if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i + j] & 0x3f);
                }
                /* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
                if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += k + 1;
        }
        return true;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Percent-decode. strict (URIs): a "%" not followed by two hex digits is refused; otherwise
 * (plain paths, where "100%" is a fine file name) it stays literal. The result may hold
 * NUL bytes: *out_len says how long it is. */
static int percent_decode(const char *s, bool strict, char **out, size_t *out_len)
{
        size_t n = strlen(s), k = 0;
        char *d = malloc(n + 1);

        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                int hi = -1, lo = -1;
                if (s[i] == '%' && i + 2 < n) {
                        hi = hexval(s[i + 1]);
                        lo = hexval(s[i + 2]);
                }
                if (s[i] == '%' && hi >= 0 && lo >= 0) {
                        d[k++] = (char)(hi * 16 + lo);
                        i += 2;
                } else if (s[i] == '%' && strict) {
                        free(d);
                        return -EINVAL;
                } else {
                        d[k++] = s[i];
                }
        }
        d[k] = '\0';
        *out = d;
        *out_len = k;
        return 0;
}

/* "file:///x" and "file://localhost/x" -> "/x" (still percent-encoded). Any other host
 * names a machine whose files the server cannot mean to read on ours (and servers that
 * map UNC-style hosts to paths would read something else); a query or fragment would be
 * dropped by one reader and kept by another. */
static const char *file_uri_path(const char *arg, const char **why)
{
        const char *p = arg + 5;        /* after "file:" */
        size_t host_len;

        if (strncmp(p, "//", 2) != 0)
                return *why = "file: URI without \"//\"", NULL;
        p += 2;
        host_len = strcspn(p, "/");
        if (host_len != 0 && !(host_len == 9 && !strncasecmp(p, "localhost", 9)))
                return *why = "file:// URI names a host other than localhost", NULL;
        p += host_len;
        if (*p != '/')
                return *why = "file:// URI without a path", NULL;
        if (strpbrk(p, "?#"))
                return *why = "file:// URI with a query or fragment", NULL;
        return p;
}

#define MAX_FORMS 4

struct form {
        char *path;
        const char *what;       /* "" or "resolved " for the reason text */
};

struct forms {
        struct form f[MAX_FORMS];
        size_t n;
};

static void forms_clear(struct forms *fs)
{
        for (size_t i = 0; i < fs->n; i++)
                free(fs->f[i].path);
        fs->n = 0;
}

/* Add the lexical and the resolved form of one spelling s of the path (one form when they
 * are the same string). */
static int forms_add(struct forms *fs, const struct path_rules *r, const char *s,
                     const char **why)
{
        _cleanup_free_ char *abs = NULL;
        char *lex, *res = NULL;
        int k;

        if (s[0] == '~')
                return *why = "a leading \"~\" is refused (write the absolute path)", -EINVAL;
        if (strlen(s) >= PATH_MAX)
                return *why = "path too long", -ENAMETOOLONG;
        abs = make_absolute(r->workdir, s);
        if (!abs)
                return -ENOMEM;
        lex = normalise(abs);
        if (!lex)
                return -ENOMEM;
        fs->f[fs->n++] = (struct form){ lex, "" };
        if (lexical_is_resolved(r->held, abs))
                return 0;
        k = resolve(abs, &res, why);
        if (k < 0)
                return k;
        if (!strcmp(res, lex)) {
                free(res);      /* no symlink on the way: the same form, checked once */
                return 0;
        }
        fs->f[fs->n++] = (struct form){ res, "resolved " };
        return 0;
}

static bool is_under(const char *path, const char *root)
{
        size_t n = strlen(root);

        if (n == 1 && root[0] == '/')
                return true;
        return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

/* The root that admits path for mode; *ro set to a read root that would have admitted it
 * had the mode been read (for a clearer reason). */
static const struct path_root *find_root(const struct path_rules *r, const char *path,
                                         enum path_mode mode, const struct path_root **ro)
{
        *ro = NULL;
        for (size_t i = 0; i < r->n_roots; i++) {
                const struct path_root *root = &r->roots[i];
                if (!is_under(path, root->lexical) &&
                    !(root->resolved && is_under(path, root->resolved)))
                        continue;
                if (root->mode >= mode)
                        return root;
                *ro = root;
        }
        return NULL;
}

/* The deny glob matching path or one of its ancestors: "**<slash>.git" or "**<slash>.ssh"
 * must also cover what lies beneath, or a tool that takes a directory, or the file
 * .ssh/id_rsa, would slip past (gitignore reads a directory pattern the same way). */
static const struct path_deny *denied(const struct path_rules *r, const char *path)
{
        _cleanup_free_ char *p = strdup(path);
        size_t n;

        if (!p)
                return r->n_deny ? &r->deny[0] : NULL;  /* cannot check: fail closed */
        for (n = strlen(p); n > 0;) {
                p[n] = '\0';
                const char *base = strrchr(p, '/');
                base = base ? base + 1 : p;
                for (size_t j = 0; j < r->n_deny; j++) {
                        const struct path_deny *g = &r->deny[j];
                        if (g->literal ? !strcmp(g->last, base)
                                       : g->last ? fnmatch(g->last, base, FNM_PATHNAME) == 0
                                                 : glob_match(g->glob, p, GLOB_PATHNAME) != 0)
                                return g;
                }
                while (n > 0 && p[n - 1] != '/')
                        n--;
                if (n > 0)
                        n--;    /* drop the "/" too: the next round tests the parent */
        }
        return NULL;
}

static void check_forms(const struct path_rules *r, const struct forms *fs, enum path_mode mode,
                        struct rule_decision *d)
{
        const struct path_root *admit = NULL, *ro;

        for (size_t i = 0; i < fs->n; i++) {
                const struct path_deny *hit = denied(r, fs->f[i].path);
                if (!hit)
                        continue;
                rule_deny(d, hit->rule, "%spath %s matches deny glob %s", fs->f[i].what,
                          fs->f[i].path, hit->glob);
                return;
        }
        for (size_t i = 0; i < fs->n; i++) {
                admit = find_root(r, fs->f[i].path, mode, &ro);
                if (admit)
                        continue;
                if (ro)
                        rule_deny(d, ro->rule, "%spath %s is under a read-only root",
                                  fs->f[i].what, fs->f[i].path);
                else
                        rule_deny(d, mode == PATH_WRITE ? "/mcp/paths/write" : "/mcp/paths/read",
                                  "%spath %s is outside the %s roots", fs->f[i].what,
                                  fs->f[i].path, mode == PATH_WRITE ? "write" : "read");
                return;
        }
        rule_allow(d, admit ? admit->rule : "/mcp/paths");
}

/* Fill fs with every form of arg; on refusal set *why. */
static int collect_forms(const struct path_rules *r, const char *arg, struct forms *fs,
                         const char **why)
{
        _cleanup_free_ char *decoded = NULL;
        const char *raw = arg;
        bool uri = !strncasecmp(arg, "file:", 5);
        size_t dlen;
        int k;

        if (uri) {
                raw = file_uri_path(arg, why);
                if (!raw)
                        return -EINVAL;
        }
        /* No escape: the decoded spelling is raw itself, already held to UTF-8 (refuse_early
         * checked arg, and raw is arg or its tail after an ASCII prefix). */
        if (!strchr(raw, '%'))
                return forms_add(fs, r, raw, why);
        k = percent_decode(raw, uri, &decoded, &dlen);
        if (k == -EINVAL)
                return *why = "bad percent-escape in file:// URI", k;
        if (k < 0)
                return k;
        if (strlen(decoded) != dlen)
                return *why = "percent-encoded NUL byte", -EINVAL;
        if (!utf8_valid((const unsigned char *)decoded, dlen))
                return *why = "percent-decoded path is not valid UTF-8", -EINVAL;
        k = forms_add(fs, r, raw, why);
        if (k < 0)
                return k;
        if (strcmp(decoded, raw) != 0)
                k = forms_add(fs, r, decoded, why);
        return k;
}

/* Refusals that need no form at all; NULL when the argument may go on. */
static const char *refuse_early(const struct path_rules *r, const char *arg, size_t len)
{
        if (!r || r->n_roots == 0)
                return "no path roots are configured";
        if (memchr(arg, '\0', len))
                return "path contains a NUL byte";
        if (!utf8_valid((const unsigned char *)arg, len))
                return "path is not valid UTF-8";
        if (len >= 3 * PATH_MAX)
                return "path too long";
        return NULL;
}

void path_check(const struct path_rules *r, const char *arg, size_t len, enum path_mode mode,
                struct rule_decision *d)
{
        struct forms fs = { .n = 0 };
        const char *why = refuse_early(r, arg, len);

        if (why) {
                rule_deny(d, "/mcp/paths", "%s", why);
                return;
        }
        if (collect_forms(r, arg, &fs, &why) < 0)
                rule_deny(d, "/mcp/paths", "path %.160s: %s", arg,
                          why ? why : "cannot be checked (out of memory)");
        else
                check_forms(r, &fs, mode, d);
        forms_clear(&fs);
}

static int compile_roots(struct path_rules *r, json_t *list, const char *key,
                         enum path_mode mode, struct mc_error *err)
{
        size_t i;
        json_t *v;

        if (!list)
                return 0;
        if (!json_is_array(list))
                return mc_error_set(err, EINVAL, "/mcp/paths/%s: not an array", key);
        /* realloc to 0 bytes frees the old array: an empty list (the default) adds nothing */
        if (!json_array_size(list))
                return 0;
        struct path_root *roots = reallocarray(r->roots, r->n_roots + json_array_size(list),
                                               sizeof(*roots));
        if (!roots)
                return mc_error_set(err, ENOMEM, "/mcp/paths/%s: out of memory", key);
        r->roots = roots;
        json_array_foreach(list, i, v) {
                const char *s = json_string_value(v);
                char real[PATH_MAX];
                if (!s || s[0] != '/' || memchr(s, '\0', json_string_length(v)))
                        return mc_error_set(err, EINVAL, "/mcp/paths/%s/%zu: not an absolute path",
                                            key, i);
                struct path_root *root = &r->roots[r->n_roots];
                *root = (struct path_root){ .mode = mode };
                rule_format(root->rule, sizeof(root->rule), "/mcp/paths/%s/%zu", key, i);
                root->lexical = normalise(s);
                if (!root->lexical)
                        return mc_error_set(err, ENOMEM, "%s: out of memory", root->rule);
                r->n_roots++;
                /* A root that does not exist (yet) is matched by its lexical form only; the
                 * resolved form of an argument under it must then equal the lexical one. */
                if (realpath(root->lexical, real)) {
                        root->resolved = strdup(real);
                        if (!root->resolved)
                                return mc_error_set(err, ENOMEM, "%s: out of memory", root->rule);
                }
        }
        return 0;
}

static int compile_deny(struct path_rules *r, json_t *list, struct mc_error *err)
{
        size_t i;
        json_t *v;

        if (!list)
                return 0;
        if (!json_is_array(list))
                return mc_error_set(err, EINVAL, "/mcp/paths/deny: not an array");
        r->deny = calloc(json_array_size(list) + 1, sizeof(*r->deny));
        if (!r->deny)
                return mc_error_set(err, ENOMEM, "/mcp/paths/deny: out of memory");
        r->globs = json_incref(list);
        json_array_foreach(list, i, v) {
                if (!json_is_string(v))
                        return mc_error_set(err, EINVAL, "/mcp/paths/deny/%zu: not a string", i);
                const char *glob = json_string_value(v);
                r->deny[i].glob = glob;
                if (!strncmp(glob, "**/", 3) && !strchr(glob + 3, '/') && !strstr(glob + 3, "**")) {
                        r->deny[i].last = glob + 3;
                        r->deny[i].literal = !strpbrk(glob + 3, "*?[\\");
                }
                rule_format(r->deny[i].rule, sizeof(r->deny[i].rule), "/mcp/paths/deny/%zu", i);
                r->n_deny++;
        }
        return 0;
}

int path_rules_compile(json_t *mcp_paths, const char *workdir, struct path_rules **out,
                       struct mc_error *err)
{
        struct path_rules *r;
        int k;

        if (!workdir || workdir[0] != '/')
                return mc_error_set(err, EINVAL, "/filesystem/workdir: not an absolute path");
        if (mcp_paths && !json_is_object(mcp_paths))
                return mc_error_set(err, EINVAL, "/mcp/paths: not an object");
        r = calloc(1, sizeof(*r));
        if (!r)
                return mc_error_set(err, ENOMEM, "/mcp/paths: out of memory");
        r->workdir = normalise(workdir);
        r->held = calloc(1, sizeof(*r->held));
        if (!r->workdir || !r->held) {
                path_rules_free(r);
                return mc_error_set(err, ENOMEM, "/mcp/paths: out of memory");
        }
        k = compile_roots(r, json_object_get(mcp_paths, "read"), "read", PATH_READ, err);
        if (k >= 0)
                k = compile_roots(r, json_object_get(mcp_paths, "write"), "write", PATH_WRITE, err);
        if (k >= 0)
                k = compile_deny(r, json_object_get(mcp_paths, "deny"), err);
        if (k < 0) {
                path_rules_free(r);
                return k;
        }
        *out = r;
        return 0;
}

void path_rules_free(struct path_rules *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n_roots; i++) {
                free(r->roots[i].lexical);
                free(r->roots[i].resolved);
        }
        free(r->roots);
        free(r->deny);
        json_decref(r->globs);
        free(r->workdir);
        if (r->held)
                held_release(r->held);
        free(r->held);
        free(r);
}

bool path_rules_empty(const struct path_rules *r)
{
        return !r || r->n_roots == 0;
}

/* The rule pointer of one key of a tool's "paths" map, made only when it is named in a
 * refusal (an allowed path is recorded with the map's own pointer). */
static const char *key_rule(char *rule, size_t size, const char *map_rule, const char *key)
{
        rule_format(rule, size, "%s", map_rule);
        rule_pointer_append(rule, size, key);
        return rule;
}

void path_check_arguments(const struct path_rules *r, json_t *paths_map, const char *map_rule,
                          json_t *arguments, struct rule_decision *d)
{
        const char *key;
        json_t *mode_v;

        json_object_foreach(paths_map, key, mode_v) {
                char rule[RULE_POINTER_MAX];
                const char *m = json_string_value(mode_v), *why = NULL;
                struct pointer_hits vals;

                if (!m || (strcmp(m, "read") && strcmp(m, "write"))) {
                        rule_deny(d, key_rule(rule, sizeof(rule), map_rule, key),
                                  "path mode is neither \"read\" nor \"write\"");
                        return;
                }
                int k = pointer_reach(arguments, key, &vals, &why);
                if (k < 0) {
                        rule_deny(d, key_rule(rule, sizeof(rule), map_rule, key), "argument %s: %s", key,
                                  why ? why : "out of memory");
                        return;
                }
                for (size_t i = 0; i < pointer_hits_count(&vals); i++) {
                        json_t *v = pointer_hits_get(&vals, i);
                        if (!json_is_string(v)) {
                                rule_deny(d, key_rule(rule, sizeof(rule), map_rule, key),
                                          "argument %s is not a string", key);
                                return;
                        }
                        path_check(r, json_string_value(v), json_string_length(v),
                                   m[0] == 'w' ? PATH_WRITE : PATH_READ, d);
                        if (!d->allow) {
                                char at[RULE_POINTER_MAX + 16];
                                rule_format(at, sizeof(at), "argument %s", key);
                                rule_reason_prefix(d, at);
                                return;
                        }
                }
        }
        rule_allow(d, map_rule);
}
