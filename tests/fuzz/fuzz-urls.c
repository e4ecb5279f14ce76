/* fuzz-urls: the URL reader of the url rules (threats.md §2 "url args"), on one string as a
 * tools/call argument carries it. The normalised form is what the allow globs see, so it
 * must be well formed (no userinfo, no byte a second reader could take differently, no
 * dot segments) and a fixed point: normalising it again changes nothing, or two spellings of
 * one URL could be told apart. An allowed URL must be one the fixed allow list names,
 * decided here without the glob code. */
#include "fuzz.h"
#include "inspect/rules/urls.h"

#include <stdbool.h>
#include <string.h>

static struct url_rules *rules;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        struct mc_error err = { 0 };
        json_t *urls = json_pack("{s:{s:[s,s,s]}}", "/url", "allow", "https://api.example.com/v1/**",
                                 "http://127.0.0.1:8080/health", "https://*.example.org/**");
        FUZZ_CHECK(urls && url_rules_compile(urls, "/mcp/tools/fetch/urls", &rules, &err) == 0,
                   "compile the URL rules: %s", err.msg);
        json_decref(urls);
        return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
        return !strncmp(s, prefix, strlen(prefix));
}

static void check_normal_form(const char *out)
{
        size_t n = strlen(out);
        const char *sep = strstr(out, "://");
        FUZZ_CHECK(sep && sep > out, "normal form without scheme://: %s", out);
        for (const char *p = out; p < sep; p++)
                FUZZ_CHECK((*p >= 'a' && *p <= 'z') || (p > out && strchr("0123456789+-.", *p)),
                           "scheme not lower-case: %s", out);
        for (size_t i = 0; i < n; i++)
                FUZZ_CHECK(out[i] > 0x20 && out[i] < 0x7f && out[i] != '\\',
                           "byte 0x%02x in the normal form", (unsigned char)out[i]);
        const char *auth = sep + 3, *path = strchr(auth, '/');
        FUZZ_CHECK(path && path > auth, "no host or no path: %s", out);
        for (const char *p = auth; p < path; p++)
                FUZZ_CHECK(*p != '@' && *p != '%' && !(*p >= 'A' && *p <= 'Z'),
                           "userinfo, escape or upper case in the host: %s", out);
        FUZZ_CHECK(!strchr(path, '?') && !strchr(path, '#'), "query or fragment kept: %s", out);
        FUZZ_CHECK(!strstr(path, "/./") && !strstr(path, "/../"), "dot segment left: %s", out);
        size_t pl = strlen(path);
        FUZZ_CHECK(!(pl >= 2 && !strcmp(path + pl - 2, "/.")) && !(pl >= 3 && !strcmp(path + pl - 3, "/..")),
                   "trailing dot segment: %s", out);

        char again[URL_MAX + 1];
        const char *why = NULL;
        FUZZ_CHECK(url_normalise(out, n, again, sizeof(again), &why) == 0,
                   "the normal form %s is refused: %s", out, why ? why : "?");
        FUZZ_CHECK(!strcmp(again, out), "not a fixed point: %s -> %s", out, again);
}

/* What the fixed allow list admits, read off the normal form directly. */
static bool listed(const char *out)
{
        if (starts_with(out, "https://api.example.com/v1/") || !strcmp(out, "https://api.example.com/v1"))
                return true;
        if (!strcmp(out, "http://127.0.0.1:8080/health"))
                return true;
        if (!starts_with(out, "https://"))
                return false;
        const char *host = out + 8, *slash = strchr(host, '/');
        size_t hl = slash ? (size_t)(slash - host) : strlen(host);
        return hl > 12 && !memcmp(host + hl - 12, ".example.org", 12);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *)data;
        char out[URL_MAX + 1];
        const char *why = NULL;
        int r = url_normalise(s, size, out, sizeof(out), &why);
        FUZZ_CHECK(r == 0 || (r < 0 && why), "refused without a reason (%d)", r);
        if (r == 0) {
                FUZZ_CHECK(!memchr(s, '\0', size) && !memchr(s, '\\', size),
                           "a URL with a NUL or a backslash was read");
                check_normal_form(out);
        }

        /* As the tool argument: JSON strings are UTF-8 (the reader refused anything else). */
        json_t *arg = json_stringn(s, size);
        if (!arg)
                return 0;
        json_t *args = json_pack("{s:o}", "url", arg);
        FUZZ_CHECK(args, "out of memory");
        struct rule_decision d;
        url_check_arguments(rules, args, &d);
        json_decref(args);
        FUZZ_CHECK(d.rule[0] == '/', "a decision without its rule");
        if (d.allow) {
                FUZZ_CHECK(r == 0, "allowed a URL the reader refuses (%s)", why);
                FUZZ_CHECK(listed(out), "allowed %s, which no allow glob names", out);
                FUZZ_CHECK(d.reason[0] == '\0', "allowed with a reason");
        } else {
                FUZZ_CHECK(d.reason[0], "denied without a reason");
        }
        return 0;
}
