/* fnmatch(3) with FNM_PATHNAME already gives exactly the per-component semantics we want
 * ("*", "?", bracket expressions, backslash escapes, none crossing "/"), and it is the
 * C library's audited code rather than ours. What it lacks is "**", so only that is written
 * here: the pattern is split at its first "**" into A and B; A must match a prefix of the
 * subject by fnmatch and B (recursively) some suffix after it. Because nothing in A can
 * match "/" except a literal "/", a prefix can only match A when it holds exactly as many
 * "/" as A does; the same holds for a "**"-free B and its suffix. Counting slashes prunes
 * the candidate split points to one path component each, which keeps this linear-ish in
 * practice instead of quadratic fnmatch calls over the whole string. */
#include "inspect/rules/glob.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

static size_t count_slashes(const char *s, size_t n)
{
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                k += s[i] == '/';
        return k;
}

/* fnmatch on the first n bytes of pat and s: both are our writable copies, so the byte after
 * each is swapped for a NUL for the call and put back, and the recursion never allocates. */
static bool fnmatch_n(char *pat, size_t pat_len, char *s, size_t n)
{
        char pc = pat[pat_len], sc = s[n];
        bool m;

        pat[pat_len] = '\0';
        s[n] = '\0';
        m = fnmatch(pat, s, FNM_PATHNAME) == 0;
        pat[pat_len] = pc;
        s[n] = sc;
        return m;
}

static bool match_double_star(char *pat, char *s);

/* Does pattern B (may contain further "**") match s exactly? */
static bool match_rest(char *pat, char *s)
{
        if (!strstr(pat, "**"))
                return fnmatch(pat, s, FNM_PATHNAME) == 0;
        return match_double_star(pat, s);
}

static bool match_suffixes(char *b, char *s, size_t from)
{
        size_t len = strlen(s);
        bool b_has_star2 = strstr(b, "**") != NULL;
        size_t b_slashes = count_slashes(b, strlen(b));
        size_t suffix_slashes = 0;
        /* B's first byte when it is an ordinary character: only a suffix starting with that
         * byte can match ("**" + "/.env" tries the slashes, not every byte of the path). */
        char lead = *b && !strchr("*?[\\", *b) ? *b : '\0';

        /* j runs backwards so the slash count of s[j..] is maintained incrementally. */
        for (size_t j = len + 1; j-- > from;) {
                if (j < len && s[j] == '/')
                        suffix_slashes++;
                if (!b_has_star2 && suffix_slashes > b_slashes)
                        break;
                if (!b_has_star2 && suffix_slashes != b_slashes)
                        continue;
                if (lead && s[j] != lead)
                        continue;
                if (match_rest(b, s + j))
                        return true;
        }
        return false;
}

static bool match_double_star(char *pat, char *s)
{
        char *star2 = strstr(pat, "**");
        size_t a_len = (size_t)(star2 - pat);
        size_t a_slashes = count_slashes(pat, a_len);
        char *b = star2 + 2;
        size_t len = strlen(s);
        size_t prefix_slashes = 0;

        for (size_t i = 0; i <= len; i++) {
                if (i > 0 && s[i - 1] == '/')
                        prefix_slashes++;
                if (prefix_slashes > a_slashes)
                        break;
                if (prefix_slashes != a_slashes || !fnmatch_n(pat, a_len, s, i))
                        continue;
                /* "**" + "/" matching no directory at all: "<slash>a<slash>**<slash>b" against "/a/b". */
                if (*b == '/' && match_rest(b + 1, s + i))
                        return true;
                if (match_suffixes(b, s, i))
                        return true;
        }
        return false;
}

int glob_match(const char *pattern, const char *s, int flags)
{
        if (!pattern || !s)
                return -EINVAL;
        if (!(flags & GLOB_PATHNAME))
                return fnmatch(pattern, s, 0) == 0;
        const char *star2 = strstr(pattern, "**");
        if (!star2)
                return fnmatch(pattern, s, FNM_PATHNAME) == 0;
        /* The commonest deny glob, "**" "/" and one last component (".env", "id_*"), matches
         * exactly when that component matches the path's last one: no copies, no search. */
        if (!(flags & GLOB_GENERAL) && star2 == pattern && pattern[2] == '/' && !strchr(pattern + 3, '/') &&
            !strstr(pattern + 3, "**")) {
                const char *base = strrchr(s, '/');
                return fnmatch(pattern + 3, base ? base + 1 : s, FNM_PATHNAME) == 0;
        }
        /* The commonest URL allow glob, A "/" "**" with its only "**" last: A's final "/"
         * can only match a "/" of s, and A holds as many slashes as the prefix it matches,
         * so the one prefix to try is s up to its slash number count_slashes(A "/"): the
         * candidate the general matcher would reach after copying both strings. */
        size_t plen = strlen(pattern);
        if (!(flags & GLOB_GENERAL) && star2 == pattern + plen - 2 && plen >= 3 && pattern[plen - 3] == '/') {
                size_t want = count_slashes(pattern, plen - 2), seen = 0, end = 0;
                for (; s[end] && seen < want; end++)
                        seen += s[end] == '/';
                char a[512], pre[2048];
                if (seen < want)
                        return 0;
                if (plen - 2 < sizeof(a) && end < sizeof(pre)) {
                        memcpy(a, pattern, plen - 2);
                        a[plen - 2] = '\0';
                        memcpy(pre, s, end);
                        pre[end] = '\0';
                        return fnmatch(a, pre, FNM_PATHNAME) == 0;
                }
        }

        _cleanup_free_ char *p = strdup(pattern);
        _cleanup_free_ char *sub = strdup(s);
        if (!p || !sub)
                return -ENOMEM;
        return match_double_star(p, sub);
}

bool glob_is_pattern(const char *pattern)
{
        return strpbrk(pattern, "*?[") != NULL;
}

size_t glob_literal_prefix(const char *pattern)
{
        return strcspn(pattern, "*?[\\");
}
