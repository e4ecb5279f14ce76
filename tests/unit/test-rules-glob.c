/* Glob semantics of src/inspect/rules/glob.c: "*" stays inside a path component, "**"
 * crosses "/", URL host globs cannot be satisfied by a path. */
#include "inspect/rules/glob.h"

#include <string.h>

#include "tap.h"

static void is_match(const char *pat, const char *s, int flags, int want)
{
        int r = glob_match(pat, s, flags);
        tap_ok(r == want, "glob %s %s %s (got %d)", pat, want ? "matches" : "does not match", s, r);
}

/* The shortcuts for "**" "/" X and A "/" "**" against the general matcher, on patterns and
 * subjects built from pieces that stress them: slashes, dots, escapes, brackets, stars. */
static void test_shortcuts(void)
{
        static const char *const pat_bits[] = { "a", "b", ".", "*", "?", "[ab]", "\\*", "/", "x.y",
                                                "https:", "//", "*.example.com" };
        static const char *const sub_bits[] = { "a", "b", ".", "/", "*", "x.y", "ab", "https:",
                                                "//", "api.example.com", "" };
        unsigned seed = 99;
        size_t tried = 0, agree = 0, matched = 0;
        for (int round = 0; round < 40000; round++) {
                char pat[128] = "", sub[128] = "";
                seed = seed * 1103515245u + 12345u;
                int shape = (seed >> 16) % 2, np = 1 + (seed >> 20) % 4, ns = (seed >> 24) % 7;
                if (shape == 0)
                        strcat(pat, "**/");
                for (int i = 0; i < np; i++) {
                        seed = seed * 1103515245u + 12345u;
                        strcat(pat, pat_bits[(seed >> 16) % (sizeof(pat_bits) / sizeof(*pat_bits))]);
                }
                if (shape == 1)
                        strcat(pat, "/**");
                for (int i = 0; i < ns; i++) {
                        seed = seed * 1103515245u + 12345u;
                        strcat(sub, sub_bits[(seed >> 16) % (sizeof(sub_bits) / sizeof(*sub_bits))]);
                }
                int fast = glob_match(pat, sub, GLOB_PATHNAME);
                int general = glob_match(pat, sub, GLOB_PATHNAME | GLOB_GENERAL);
                tried++;
                matched += general == 1;
                if (fast == general)
                        agree++;
                else
                        printf("# %s against \"%s\": shortcut %d, general %d\n", pat, sub, fast, general);
        }
        tap_ok(agree == tried && matched > tried / 50,
               "the shortcuts agree with the general matcher on %zu of %zu pairs (%zu of them matches)",
               agree, tried, matched);
}

int main(void)
{
        test_shortcuts();
        /* tool names */
        is_match("git_*", "git_status", 0, 1);
        is_match("git_*", "git_", 0, 1);
        is_match("git_*", "gh_status", 0, 0);
        is_match("*", "anything/with/slash", 0, 1);
        is_match("read_?", "read_x", 0, 1);
        is_match("read_[ab]", "read_c", 0, 0);

        /* path deny globs */
        is_match("**/.git/config", "/home/u/proj/.git/config", GLOB_PATHNAME, 1);
        is_match("**/.git/config", "/.git/config", GLOB_PATHNAME, 1);
        is_match("**/.git/config", "/home/u/proj/.git/configx", GLOB_PATHNAME, 0);
        is_match("**/.env", "/srv/app/.env", GLOB_PATHNAME, 1);
        is_match("**/.env", "/srv/app/x.env", GLOB_PATHNAME, 0);
        is_match("/srv/**.env", "/srv/app/x.env", GLOB_PATHNAME, 1);
        is_match("/srv/**.env", "/srv/app/x.envy", GLOB_PATHNAME, 0);
        is_match("/srv/**/\\*x", "/srv/a/*x", GLOB_PATHNAME, 1);
        is_match("/srv/**/\\*x", "/srv/a/bx", GLOB_PATHNAME, 0);
        is_match("**/.env", "/srv/app/.env/inner", GLOB_PATHNAME, 0);
        is_match("**/id_*", "/home/u/.ssh/id_ed25519", GLOB_PATHNAME, 1);
        is_match("**/id_*", "/home/u/id_x/file", GLOB_PATHNAME, 0);
        is_match("**/*.pem", "/etc/ssl/private/key.pem", GLOB_PATHNAME, 1);
        is_match("**/*.pem", "/etc/ssl/private/key.pem.bak", GLOB_PATHNAME, 0);
        is_match("/a/*/c", "/a/b/c", GLOB_PATHNAME, 1);
        is_match("/a/*/c", "/a/b/x/c", GLOB_PATHNAME, 0);
        is_match("/a/**/c", "/a/b/x/c", GLOB_PATHNAME, 1);
        is_match("/a/**/c", "/a/c", GLOB_PATHNAME, 1);
        is_match("/a/**", "/a/b/c", GLOB_PATHNAME, 1);
        is_match("/a/**", "/ab", GLOB_PATHNAME, 0);
        is_match("/a/**/b/**/c", "/a/x/b/y/z/c", GLOB_PATHNAME, 1);
        is_match("/a/**/b/**/c", "/a/x/y/z/c", GLOB_PATHNAME, 0);
        is_match("**/secrets/**", "/home/u/secrets/a/b", GLOB_PATHNAME, 1);
        is_match("/home/*/.ssh/**", "/home/u/.ssh/id_rsa", GLOB_PATHNAME, 1);
        is_match("/home/*/.ssh/**", "/home/u/v/.ssh/id_rsa", GLOB_PATHNAME, 0);

        /* URL allow globs */
        is_match("https://*.example.com/**", "https://api.example.com/v1/x", GLOB_PATHNAME, 1);
        is_match("https://*.example.com/**", "https://api.example.com/", GLOB_PATHNAME, 1);
        is_match("https://*.example.com/**", "https://evil.com/.example.com/", GLOB_PATHNAME, 0);
        is_match("https://*.example.com/**", "https://evil.com/a.example.com/", GLOB_PATHNAME, 0);
        is_match("https://*.example.com/**", "http://api.example.com/", GLOB_PATHNAME, 0);
        is_match("https://*.example.com/**", "https://api.example.com.evil.com/", GLOB_PATHNAME, 0);
        is_match("https://*.example.com/**", "https://example.com/", GLOB_PATHNAME, 0);

        /* a long subject stays fast and correct */
        char big[4200];
        memset(big, 'a', sizeof(big) - 1);
        big[0] = '/';
        for (size_t i = 8; i < sizeof(big) - 1; i += 9)
                big[i] = '/';
        big[sizeof(big) - 1] = '\0';
        is_match("**/.env", big, GLOB_PATHNAME, 0);
        is_match("/**/**/**/zz", big, GLOB_PATHNAME, 0);

        tap_ok(glob_is_pattern("git_*") && !glob_is_pattern("git_status"), "glob_is_pattern");
        tap_ok(glob_literal_prefix("git_*") == 4 && glob_literal_prefix("*") == 0,
               "glob_literal_prefix");
        tap_ok(glob_match(NULL, "x", 0) < 0, "NULL pattern is an error, not a match");
        return tap_done();
}
