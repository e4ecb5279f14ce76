/* threats.md §2 "url args" against src/inspect/rules/urls.c: schemes, hosts, userinfo,
 * metadata and loopback addresses in every spelling, normalisation. */
#include "inspect/rules/urls.h"

#include <errno.h>
#include <string.h>

#include "tap.h"

static struct url_rules *rules;

static void expect(bool allow, const char *url, const char *rule)
{
        struct rule_decision d;
        json_t *args = json_object();
        json_object_set_new(args, "url", json_stringn_nocheck(url, strlen(url)));
        url_check_arguments(rules, args, &d);
        json_decref(args);
        tap_ok(d.allow == allow, "%s %s", url, allow ? "allowed" : "denied");
        if (!d.allow || d.allow != allow)
                printf("#   rule %s reason %s\n", d.rule, d.reason);
        if (rule)
                tap_is_str(d.rule, rule, "  ... decided by the expected rule");
}

static void norm(const char *url, const char *want)
{
        char out[URL_MAX];
        const char *why = NULL;
        int r = url_normalise(url, strlen(url), out, sizeof(out), &why);
        if (!want) {
                tap_ok(r == -EINVAL, "normalise %s refused (%s)", url, why ? why : "-");
                return;
        }
        if (r < 0)
                snprintf(out, sizeof(out), "error: %s", why);
        char name[300];
        snprintf(name, sizeof(name), "normalise %s", url);
        tap_is_str(out, want, name);
}

static void threat_rows(void)
{
        expect(true, "https://api.example.com/v1/items?q=1#top", "/mcp/tools/fetch/urls/~1url/allow/0");
        expect(false, "ftp://api.example.com/", "/mcp/tools/fetch/urls/~1url/allow");
        expect(false, "file:///etc/passwd", NULL);
        expect(false, "http://api.example.com/", NULL);
        expect(false, "https://evil.com/", NULL);
        expect(false, "https://evil.com/.example.com/", NULL);
        expect(false, "https://api.example.com.evil.com/", NULL);
        expect(false, "http://169.254.169.254/latest/meta-data/", NULL);
        expect(false, "https://ok.example.com@evil.com/", NULL);
        expect(false, "https://ok.example.com:pw@evil.com/", NULL);
        expect(false, "https://@api.example.com/", NULL);
        expect(false, "http://2130706433/", NULL);
        expect(false, "http://0177.0.0.1/", NULL);
        expect(false, "http://0x7f.0.0.1/", NULL);
        expect(false, "http://0x7f000001/", NULL);
        expect(false, "http://127.1/", NULL);
        expect(false, "http://2852039166/", NULL);              /* 169.254.169.254 */
        /* empty labels: a second trailing dot must not turn an address into a "name" */
        expect(false, "http://127.0.0.1../", NULL);
        expect(false, "http://2130706433../", NULL);
        expect(false, "https://a.example.org../", NULL);
        expect(false, "http://[::1]/", NULL);
        expect(false, "http://[::]/", NULL);
        expect(false, "http://[::ffff:127.0.0.1]/", NULL);
        expect(false, "http://[::ffff:7f00:1]/", NULL);
        expect(false, "http://[::ffff:169.254.169.254]/", NULL);
        expect(false, "http://[64:ff9b::a9fe:a9fe]/", NULL);
        expect(false, "http://[2002:7f00:1::]/", NULL);
        expect(false, "http://[fe80::1]/", NULL);
        expect(false, "http://[fd00:ec2::254]/", NULL);
        expect(false, "http://100.100.100.200/", NULL);
        expect(false, "http://0.0.0.0:8080/", NULL);
        expect(false, "http://[fe80::1%25eth0]/", NULL);
}

static void edge_rows(void)
{
        expect(true, "HTTPS://API.Example.COM:443/v1", NULL);
        expect(true, "https://api.example.com./v1", NULL);
        expect(true, "https://api.example.com", NULL);
        expect(false, "https://api.example.com:8443/", NULL);
        expect(false, "https:\\\\api.example.com\\", NULL);
        expect(false, "https://api.example.com\\@evil.com/", NULL);
        expect(false, "https://api.example.com /", NULL);
        expect(false, "https://api.exam\tple.com/", NULL);
        expect(false, "https://api.ex%61mple.com/", NULL);
        expect(false, "https://ap\xc3\xae.example.com/", NULL);
        expect(false, "https://api..example.com/", NULL);
        expect(false, "https://.example.com/", NULL);
        expect(false, "https:api.example.com/", NULL);
        expect(false, "//api.example.com/", NULL);
        expect(false, "https://api.example.com:99999/", NULL);
        expect(false, "https://api.example.com:0/", NULL);
        expect(false, "https://api.example.com:44x/", NULL);
        expect(false, "http://1.2.3.4.5/", NULL);
        expect(false, "http://256.0.0.1/", NULL);
        expect(false, "http://[::1/", NULL);
        expect(false, "https://api.example.com/%zz", NULL);
        /* the path glob of the second entry */
        expect(true, "https://docs.internal.test/public/a/b", "/mcp/tools/fetch/urls/~1url/allow/1");
        expect(false, "https://docs.internal.test/public/../private/x", NULL);
        expect(false, "https://docs.internal.test/public/%2e%2e/private/x", NULL);
        expect(false, "https://docs.internal.test/private", NULL);
        /* an internal address named explicitly is allowed, and only that one */
        expect(true, "http://127.0.0.1:8080/health", "/mcp/tools/fetch/urls/~1url/allow/2");
        expect(true, "http://2130706433:8080/health", NULL);
        expect(false, "http://127.0.0.2:8080/health", NULL);
        expect(false, "http://127.0.0.1:8081/health", NULL);

        struct rule_decision d;
        json_t *args = json_pack("{s:i}", "url", 1);
        url_check_arguments(rules, args, &d);
        tap_ok(!d.allow, "a number as URL is denied");
        json_decref(args);
        args = json_object();
        url_check_arguments(rules, args, &d);
        tap_ok(d.allow, "an absent optional URL is fine");
        json_decref(args);
        args = json_pack("{s:s#}", "url", "https://api.example.com/\0x", (size_t)26);
        url_check_arguments(rules, args, &d);
        tap_ok(!d.allow, "a NUL byte inside the URL is denied");
        json_decref(args);
}

static void normal_forms(void)
{
        norm("HTTP://Example.COM:80", "http://example.com/");
        norm("https://example.com:8443/a/./b/../c", "https://example.com:8443/a/c");
        norm("https://example.com/a/%7euser/%2fx/%41", "https://example.com/a/~user/%2Fx/A");
        norm("https://example.com/a/b/..", "https://example.com/a/");
        norm("https://example.com/../../x", "https://example.com/x");
        norm("http://[0:0:0:0:0:0:0:1]:8080/", "http://[::1]:8080/");
        norm("http://0x7f.1/", "http://127.0.0.1/");
        norm("http://example.com:/", "http://example.com/");
        norm("mailto:a@b", NULL);
        norm("https://u@h/", NULL);
        norm("", NULL);
}

static void compile_errors(void)
{
        struct mc_error err = { 0 };
        struct url_rules *u = NULL;
        json_t *j = json_pack("{s:{s:[s]}}", "/url", "allow", "example.com/**");
        tap_ok(url_rules_compile(j, "/mcp/tools/f/urls", &u, &err) == -EINVAL,
               "an allow glob without a scheme is an error");
        tap_ok(strstr(err.msg, "/mcp/tools/f/urls/~1url/allow/0") != NULL, "  ... naming it (%s)",
               err.msg);
        json_decref(j);
        j = json_pack("{s:{}}", "/url");
        tap_ok(url_rules_compile(j, "/mcp/tools/f/urls", &u, &err) == -EINVAL,
               "a URL rule without allow is an error");
        json_decref(j);
}

int main(void)
{
        struct mc_error err = { 0 };
        json_t *j = json_pack("{s:{s:[s,s,s]}}", "/url", "allow", "https://*.example.com/**",
                              "https://docs.internal.test/public/**",
                              "http://127.0.0.1:8080/health");
        int r = url_rules_compile(j, "/mcp/tools/fetch/urls", &rules, &err);
        json_decref(j);
        if (!tap_ok(r == 0, "compile the URL rules"))
                printf("#   %s\n", err.msg);
        threat_rows();
        edge_rows();
        normal_forms();
        compile_errors();
        url_rules_free(rules);
        return tap_done();
}
