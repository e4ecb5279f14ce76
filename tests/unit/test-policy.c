/* Unit tests of the policy layer: units, the built-in default, defaults, variables, extends,
 * the search path, every kind of invalid policy (exact error text, from
 * tests/unit/policies/invalid/EXPECTED), the fingerprint, command-line additions and the
 * system ceiling. Fixture files live in POLICY_FIXTURES (set by src/policy/meson.build). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "refcrypto.h"
#include "tap.h"

#ifndef POLICY_FIXTURES
#error "POLICY_FIXTURES must name tests/unit/policies"
#endif

#define HOME "/home/tester"
#define CWD HOME "/work"

static struct policy_env env;

static void setup_env(struct policy_env *e, const char *search1, const char *search2, const char *ceiling)
{
        memset(e, 0, sizeof(*e));
        e->home = strdup(HOME);
        e->user = strdup("tester");
        e->uid = strdup("1000");
        e->cwd = strdup(CWD);
        e->tmpdir = strdup("/tmp");
        e->xdg_config_home = strdup(HOME "/.config");
        e->xdg_state_home = strdup(HOME "/.local/state");
        e->xdg_cache_home = strdup(HOME "/.cache");
        e->xdg_runtime_dir = strdup("/run/user/1000");
        e->search_path[0] = search1 ? strdup(search1) : NULL;
        e->search_path[1] = search1 && search2 ? strdup(search2) : NULL;
        e->ceiling = ceiling ? strdup(ceiling) : NULL;
}

/* A fixture path; the result stays valid for a few calls (rotating buffers). */
static const char *fx(const char *rel)
{
        static char bufs[8][4096];
        static int next;
        char *b = bufs[next++ % 8];
        snprintf(b, sizeof(bufs[0]), "%s/%s", POLICY_FIXTURES, rel);
        return b;
}

static struct policy *load_with(const struct policy_env *e, const char *ref, const char *what)
{
        struct policy *p = NULL;
        struct mc_error err = { 0 };
        int r = policy_load(ref, e, &p, &err);
        if (!tap_ok(r == 0 && p, "%s loads", what))
                printf("#   error: %s\n", err.msg);
        return r == 0 ? p : NULL;
}

static struct policy *load_ok(const char *ref, const char *what)
{
        return load_with(&env, ref, what);
}

static void fails_with(const struct policy_env *e, const char *ref, const char *want, const char *what)
{
        struct policy *p = NULL;
        struct mc_error err = { 0 };
        int r = policy_load(ref, e, &p, &err);
        tap_ok(r < 0 && !p, "%s is refused", what);
        tap_is_str(err.msg, want, what);
        policy_free(p);
}

static void check_str(struct policy *p, const char *ptr, const char *want)
{
        json_t *v = p ? policy_get(p, ptr) : NULL;
        char name[256];
        snprintf(name, sizeof(name), "%s = \"%s\"", ptr, want);
        tap_is_str(json_is_string(v) ? json_string_value(v) : "(not a string)", want, name);
}

static void check_json(struct policy *p, const char *ptr, const char *want_text)
{
        json_t *v = p ? policy_get(p, ptr) : NULL;
        json_t *want = json_loads(want_text, JSON_DECODE_ANY, NULL);
        bool same = v && want && json_equal(v, want);
        tap_ok(same, "%s = %s", ptr, want_text);
        if (!same) {
                char *got = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
                printf("#   got: %s\n", got ? got : "(absent)");
                free(got);
        }
        json_decref(want);
}

/* ---- units ---- */
static void test_units(void)
{
        uint64_t v, c, per;
        tap_ok(policy_parse_size("4096", &v) == 0 && v == 4096, "size 4096");
        tap_ok(policy_parse_size("512M", &v) == 0 && v == 512ULL << 20, "size 512M");
        tap_ok(policy_parse_size("2G", &v) == 0 && v == 2ULL << 30, "size 2G");
        tap_ok(policy_parse_size("1K", &v) == 0 && v == 1024, "size 1K");
        tap_ok(policy_parse_size("3T", &v) == 0 && v == 3ULL << 40, "size 3T");
        tap_ok(policy_parse_size("12Q", &v) == -EINVAL, "size 12Q refused");
        tap_ok(policy_parse_size("", &v) == -EINVAL, "empty size refused");
        tap_ok(policy_parse_size("-1", &v) == -EINVAL, "negative size refused");
        tap_ok(policy_parse_size("1MB", &v) == -EINVAL, "size 1MB refused");
        tap_ok(policy_parse_size("99999999999999999999", &v) == -EINVAL, "overflowing size refused");
        tap_ok(policy_parse_size("17179869184G", &v) == -EINVAL, "size overflowing by its unit refused");
        tap_ok(policy_parse_time("500ms", &v) == 0 && v == 500, "time 500ms");
        tap_ok(policy_parse_time("30s", &v) == 0 && v == 30000, "time 30s");
        tap_ok(policy_parse_time("5m", &v) == 0 && v == 300000, "time 5m");
        tap_ok(policy_parse_time("1h", &v) == 0 && v == 3600000, "time 1h");
        tap_ok(policy_parse_time("0", &v) == 0 && v == 0, "time 0");
        tap_ok(policy_parse_time("30", &v) == -EINVAL, "time without unit refused");
        tap_ok(policy_parse_time("1.5s", &v) == -EINVAL, "fractional time refused");
        tap_ok(policy_parse_time("2d", &v) == -EINVAL, "time 2d refused");
        tap_ok(policy_parse_rate("60/min", &c, &per) == 0 && c == 60 && per == 60000, "rate 60/min");
        tap_ok(policy_parse_rate("5/s", &c, &per) == 0 && c == 5 && per == 1000, "rate 5/s");
        tap_ok(policy_parse_rate("100/h", &c, &per) == 0 && c == 100 && per == 3600000, "rate 100/h");
        tap_ok(policy_parse_rate("0/s", &c, &per) == -EINVAL, "rate 0/s refused");
        tap_ok(policy_parse_rate("5/d", &c, &per) == -EINVAL, "rate 5/d refused");
        tap_ok(policy_parse_rate("5", &c, &per) == -EINVAL, "rate without period refused");
}

/* ---- the built-in default and defaults ---- */
static void test_builtin(void)
{
        struct policy *p = load_ok(NULL, "built-in default (NULL)");
        if (!p)
                return;
        tap_is_str(p->name, "default", "built-in name");
        tap_is_str(p->path, "<built-in>", "built-in path");
        check_str(p, "/isolation", "auto");
        check_str(p, "/filesystem/root", "host");
        check_json(p, "/filesystem/read_only", "[]");
        check_json(p, "/filesystem/tmpfs", "[\"/tmp\"]");
        check_str(p, "/filesystem/workdir", "/");
        check_str(p, "/network/mode", "none");
        check_json(p, "/env/pass", "[\"HOME\",\"LOGNAME\",\"PATH\",\"SHELL\",\"TERM\",\"USER\",\"LANG\",\"LC_*\"]");
        check_str(p, "/limits/memory", "2G");
        check_json(p, "/limits/pids", "256");
        check_json(p, "/limits/open_files", "1024");
        check_str(p, "/limits/wall_time", "0");
        check_json(p, "/limits/cpu", "null");
        check_str(p, "/seccomp/profile", "default");
        check_str(p, "/seccomp/action", "errno");
        check_json(p, "/mcp/tools", "{\"*\":\"allow\"}");
        check_json(p, "/mcp/paths/read", "[]");
        check_json(p, "/mcp/methods/server/deny", "[\"sampling/createMessage\"]");
        check_json(p, "/mcp/redact/results", "[\"secrets\"]");
        check_str(p, "/mcp/injection/action", "strip");
        check_str(p, "/mcp/pin/on_change", "warn");
        check_str(p, "/audit/file", HOME "/.local/state/mcpcage/audit.jsonl");
        tap_ok(policy_get(p, "/extends") == NULL, "the effective tree has no extends");
        struct policy *q = load_ok("default", "the name default without a file");
        tap_ok(q && !strcmp(q->path, "<built-in>") && !strcmp(q->sha256, p->sha256),
               "the name default is the built-in policy");
        policy_free(q);
        policy_free(p);
}

static void test_defaults(void)
{
        struct policy *p = load_ok(fx("valid/minimal.json"), "minimal policy");
        if (!p)
                return;
        tap_is_str(p->name, "minimal", "name is the file's basename");
        static const char *const every_key[] = {
                "/version", "/description", "/require", "/isolation", "/command/allow",
                "/command/sha256", "/env/pass", "/env/set", "/env/from_file", "/filesystem/root",
                "/filesystem/read_only", "/filesystem/read_write", "/filesystem/tmpfs",
                "/filesystem/mask", "/filesystem/workdir", "/network/mode", "/network/allow",
                "/network/forward", "/limits/memory", "/limits/pids", "/limits/cpu",
                "/limits/open_files", "/limits/file_size", "/limits/wall_time",
                "/limits/shutdown_grace", "/seccomp/profile", "/seccomp/deny", "/seccomp/allow",
                "/seccomp/action", "/mcp/scopes", "/mcp/implies", "/mcp/tools", "/mcp/paths/read",
                "/mcp/paths/write", "/mcp/paths/deny", "/mcp/methods/host/deny",
                "/mcp/methods/server/deny", "/mcp/redact/results", "/mcp/redact/arguments",
                "/mcp/redact/custom", "/mcp/redact/allow", "/mcp/injection/action",
                "/mcp/pin/on_change", "/mcp/limits/message_bytes", "/mcp/limits/calls",
                "/mcp/limits/call_timeout", "/mcp/kill_switch", "/audit/file", "/audit/syslog",
                "/audit/arguments", "/audit/alert", "/audit/key",
        };
        size_t missing = 0;
        for (size_t i = 0; i < sizeof(every_key) / sizeof(every_key[0]); i++)
                if (!policy_get(p, every_key[i])) {
                        printf("#   missing %s\n", every_key[i]);
                        missing++;
                }
        tap_ok(missing == 0, "every key of policy.md is present after defaults");
        check_str(p, "/filesystem/root", "empty");
        check_json(p, "/filesystem/read_only/0", "\"/usr\"");
        check_json(p, "/filesystem/tmpfs", "[\"/tmp\"]");
        check_str(p, "/filesystem/workdir", "/");
        check_str(p, "/network/mode", "none");
        check_json(p, "/limits/memory", "null");
        check_json(p, "/limits/pids", "null");
        check_str(p, "/limits/shutdown_grace", "2s");
        check_str(p, "/limits/wall_time", "0");
        check_str(p, "/seccomp/action", "errno");
        check_json(p, "/mcp/tools", "{}");
        check_str(p, "/mcp/limits/message_bytes", "16M");
        check_json(p, "/mcp/limits/calls", "null");
        check_str(p, "/mcp/injection/action", "flag");
        check_str(p, "/mcp/pin/on_change", "warn");
        check_str(p, "/mcp/kill_switch", "/run/user/1000/mcpcage/kill");
        check_str(p, "/audit/arguments", "sanitized");
        check_json(p, "/audit/key", "null");
        policy_free(p);

        p = load_ok(fx("valid/strict.json"), "strict profile");
        check_str(p, "/seccomp/action", "kill");
        check_json(p, "/filesystem/read_only", "[]");
        /* root "host" hides ${HOME} behind an empty tmpfs, so the cwd below it is not there */
        check_str(p, "/filesystem/workdir", "/");
        policy_free(p);
        p = load_ok(fx("valid/workdir.json"), "cwd bound read-write");
        check_str(p, "/filesystem/workdir", CWD);
        policy_free(p);
}

/* ---- the example of policy.md, variables ---- */
static void test_full(void)
{
        struct policy *p = load_ok(fx("valid/full.json"), "the policy.md example");
        if (!p)
                return;
        check_str(p, "/description", "server-filesystem: read/write one project tree, nothing else");
        check_json(p, "/command/allow", "[\"/usr/bin/node\",\"/usr/local/bin/node\"]");
        check_json(p, "/env/pass", "[\"PATH\",\"HOME\",\"LANG\",\"LC_*\",\"NODE_OPTIONS\"]");
        check_json(p, "/env/set", "{\"NODE_ENV\":\"production\",\"NODE_NO_WARNINGS\":\"1\"}");
        check_str(p, "/env/from_file/GITHUB_TOKEN", HOME "/.config/mcpcage/secrets/github");
        check_json(p, "/filesystem/read_only/2", "\"/lib\"");
        check_json(p, "/filesystem/read_only/1", "\"?/usr/local/lib/node_modules\"");
        check_str(p, "/filesystem/workdir", CWD);
        check_json(p, "/network/forward", "{\"127.0.0.1:5432\":\"10.1.2.3:5432\"}");
        check_json(p, "/limits/cpu", "0.5");
        check_json(p, "/mcp/tools/*", "\"deny\"");
        check_json(p, "/mcp/tools/write_file",
                   "{\"scopes\":[\"files:write\"],\"paths\":{\"/path\":\"write\"},\"rate\":\"10/min\","
                   "\"confirm\":true,\"commands\":{},\"urls\":{},\"redact\":[\"secrets\",\"pii\"]}");
        check_json(p, "/mcp/tools/run_command/commands/~1command",
                   "{\"allow\":[\"git\",\"ls\"],\"deny\":[\"\\\\brm\\\\s+-rf\\\\b\"],\"shell\":false}");
        check_json(p, "/mcp/tools/fetch/redact", "[]");
        check_json(p, "/mcp/tools/fetch/urls/~1url/allow", "[\"https://*.example.com/**\"]");
        check_str(p, "/mcp/paths/write/0", HOME "/projects/scratch");
        check_str(p, "/mcp/limits/calls", "600/min");
        check_str(p, "/audit/key", "/etc/mcpcage/audit.key");
        /* order of policy.md, not of the file */
        const char *first = NULL;
        void *iter = json_object_iter(p->root);
        first = iter ? json_object_iter_key(iter) : NULL;
        tap_is_str(first, "version", "the effective tree starts with version");
        policy_free(p);
}

static void test_vars(void)
{
        struct policy *p = load_ok(fx("valid/vars.json"), "variables");
        if (!p)
                return;
        check_str(p, "/description", "tester (1000) in " CWD);
        check_json(p, "/filesystem/read_only",
                   "[\"" HOME "/ro\",\"?" HOME "/maybe\",\"" POLICY_FIXTURES "/valid/data\",\"/tmp/x\"]");
        check_json(p, "/filesystem/read_write",
                   "[\"" HOME "/.config/a\",\"" HOME "/.local/state/b\",\"" HOME "/.cache/c\",\"/run/user/1000/d\"]");
        check_str(p, "/env/set/PRICE", "$5 or " HOME "$");
        check_str(p, "/mcp/redact/custom/dollar", "[0-9]+\\$$");
        policy_free(p);

        struct policy_env partial;
        setup_env(&partial, NULL, NULL, NULL);
        free(partial.xdg_runtime_dir);
        partial.xdg_runtime_dir = NULL;
        fails_with(&partial, fx("valid/vars.json"), POLICY_FIXTURES "/valid/vars.json: /filesystem/read_write/3: "
                   "variable ${XDG_RUNTIME_DIR} is not set", "an unset variable");
        fails_with(&partial, fx("valid/minimal.json"),
                   "built-in defaults: /mcp/kill_switch: variable ${XDG_RUNTIME_DIR} is not set",
                   "an unset variable used by a default");
        policy_env_clear(&partial);
}

/* ---- extends and the search path ---- */
static void test_extends(void)
{
        struct policy *p = load_ok(fx("valid/child.json"), "extends chain (path, then name)");
        if (!p)
                return;
        check_str(p, "/description", "child");
        check_json(p, "/filesystem/read_only",
                   "[\"/lib\",\"/usr\",\"" POLICY_FIXTURES "/valid/sub/assets\",\"/opt\"]");
        check_json(p, "/filesystem/mask", "[\"" POLICY_FIXTURES "/valid/secret\"]");
        check_json(p, "/filesystem/tmpfs", "[\"/tmp\",\"/var/tmp\"]");
        check_str(p, "/network/mode", "loopback");
        check_json(p, "/limits/memory", "null");
        check_json(p, "/limits/pids", "32");
        check_json(p, "/limits/open_files", "100");
        check_json(p, "/mcp/scopes", "[\"z\",\"a\",\"b\",\"c\"]");
        check_json(p, "/mcp/tools/*", "\"deny\"");
        /* the child's rule replaces the parent's whole: no scopes, no confirm */
        check_json(p, "/mcp/tools/write_file/scopes", "[]");
        check_json(p, "/mcp/tools/write_file/confirm", "false");
        check_json(p, "/mcp/tools/write_file/paths", "{\"/path\":\"write\"}");
        policy_free(p);

        struct policy *a = load_ok("shadow", "a name on the search path");
        check_str(a, "/description", "first on the search path");
        tap_ok(a && !strcmp(a->path, POLICY_FIXTURES "/search1/shadow.json"), "the first directory wins");
        tap_is_str(a ? a->name : NULL, "shadow", "the name is kept");
        policy_free(a);
        fails_with(&env, "missing",
                   "policy \"missing\" not found (looked in " POLICY_FIXTURES "/search1, " POLICY_FIXTURES "/search2)",
                   "an unknown name");
        fails_with(&env, "bad name", "invalid policy name \"bad name\" (letters, digits, '.', '_', '-')",
                   "a name with a space");
        fails_with(&env, fx("valid/nonexistent.json"),
                   POLICY_FIXTURES "/valid/nonexistent.json: cannot open: No such file or directory",
                   "a missing file");

        struct policy_env own;
        setup_env(&own, fx("search-default"), NULL, NULL);
        struct policy *d = load_with(&own, "default", "default shadowed by a file");
        check_str(d, "/network/mode", "loopback");
        policy_free(d);
        d = load_with(&own, NULL, "no policy given");
        tap_ok(d && !strcmp(d->path, "<built-in>"), "no policy given is always the built-in one");
        policy_free(d);
        policy_env_clear(&own);
}

/* ---- invalid policies: one fixture per mistake, the exact message in EXPECTED ---- */
static void replace_all(char *s, size_t cap, const char *from, const char *to)
{
        char *at;
        while ((at = strstr(s, from))) {
                char rest[2048];
                snprintf(rest, sizeof(rest), "%s", at + strlen(from));
                snprintf(at, cap - (size_t)(at - s), "%s%s", to, rest);
        }
}

static void test_invalid(void)
{
        FILE *f = fopen(fx("invalid/EXPECTED"), "r");
        if (!tap_ok(f != NULL, "invalid/EXPECTED opens"))
                return;
        char line[2048];
        int n = 0;
        while (fgets(line, sizeof(line), f)) {
                if (line[0] == '#' || line[0] == '\n')
                        continue;
                line[strcspn(line, "\n")] = '\0';
                char *tab = strchr(line, '\t');
                if (!tab)
                        continue;
                *tab = '\0';
                char want[2048];
                snprintf(want, sizeof(want), "%s", tab + 1);
                replace_all(want, sizeof(want), "@D@", POLICY_FIXTURES "/invalid");
                replace_all(want, sizeof(want), "@S1@", POLICY_FIXTURES "/search1");
                replace_all(want, sizeof(want), "@S2@", POLICY_FIXTURES "/search2");
                char path[sizeof(line) + 16];
                snprintf(path, sizeof(path), "invalid/%s", line);
                fails_with(&env, fx(path), want, line);
                n++;
        }
        fclose(f);
        tap_ok(n >= 40, "at least 40 invalid policies checked (%d)", n);
}

/* ---- fingerprint ---- */
static void test_sha256(void)
{
        struct policy *a = load_ok(fx("valid/order-a.json"), "order-a");
        struct policy *b = load_ok(fx("valid/order-b.json"), "order-b (same, other key order)");
        struct policy *c = load_ok(fx("valid/order-a.json"), "order-a again");
        struct policy *m = load_ok(fx("valid/minimal.json"), "minimal");
        if (!a || !b || !c || !m)
                goto out;
        tap_ok(strlen(a->sha256) == 64 && strspn(a->sha256, "0123456789abcdef") == 64, "sha256 is 64 hex digits");
        tap_is_str(a->sha256, c->sha256, "the same policy gives the same sha256");
        tap_is_str(a->sha256, b->sha256, "key order does not change the sha256");
        tap_ok(strcmp(a->sha256, m->sha256) != 0, "a different policy gives a different sha256");
        char *canon = json_dumps(a->root, JSON_COMPACT | JSON_SORT_KEYS);
        char hex[65];
        ref_hex_digest(NULL, 0, canon, strlen(canon), hex);
        tap_is_str(a->sha256, hex, "sha256 is of the compact, sorted dump");
        free(canon);
out:
        policy_free(a);
        policy_free(b);
        policy_free(c);
        policy_free(m);
}

/* ---- command-line additions ---- */
static void test_cli(void)
{
        struct policy *p = load_ok(fx("valid/minimal.json"), "minimal for --rw");
        if (!p)
                return;
        char old[65];
        memcpy(old, p->sha256, sizeof(old));
        const char *ro[] = { "data" }, *rw[] = { HOME "/projects/" }, *grant[] = { "files:write" };
        struct policy_cli cli = { .ro = ro, .n_ro = 1, .rw = rw, .n_rw = 1, .grant = grant, .n_grant = 1,
                                  .audit_log = "-", .isolation = "landlock" };
        struct mc_error err = { 0 };
        int r = policy_apply_cli(p, &cli, &env, &err);
        if (!tap_ok(r == 0, "command-line additions apply"))
                printf("#   error: %s\n", err.msg);
        check_json(p, "/filesystem/read_only/0", "\"/usr\"");   /* system defaults kept */
        tap_ok(json_array_size(policy_get(p, "/filesystem/read_only")) == 15, "--ro is added to the defaults");
        check_str(p, "/filesystem/read_only/14", CWD "/data");
        check_json(p, "/filesystem/read_write", "[\"" HOME "/projects\"]");
        check_json(p, "/mcp/paths/read", "[\"" CWD "/data\"]");
        check_json(p, "/mcp/paths/write", "[\"" HOME "/projects\"]");
        check_json(p, "/mcp/scopes", "[\"files:write\"]");
        check_str(p, "/audit/file", "-");
        check_str(p, "/isolation", "landlock");
        tap_ok(strcmp(old, p->sha256) != 0, "sha256 is recomputed");

        memcpy(old, p->sha256, sizeof(old));
        struct policy_cli bad = { .isolation = "jail" };
        r = policy_apply_cli(p, &bad, &env, &err);
        tap_ok(r < 0, "a bad --isolation is refused");
        tap_is_str(err.msg, "--isolation jail: expected auto, namespaces, landlock or none", "--isolation error");
        const char *dots[] = { "../x" };
        struct policy_cli bad_path = { .rw = dots, .n_rw = 1 };
        r = policy_apply_cli(p, &bad_path, &env, &err);
        tap_is_str(err.msg, "--rw ../x: path must not contain '.' or '..' components", "--rw with ..");
        tap_is_str(p->sha256, old, "a refused addition leaves the policy unchanged");
        check_str(p, "/isolation", "landlock");
        policy_free(p);
}

/* ---- the ceiling ---- */
static char ceiling_dir[64];

static void ceiling_cleanup(void)
{
        static const char *const names[] = { "ceiling.json", "deny-all.json", "cwd-var.json",
                                             "extends.json" };
        char path[128];
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", ceiling_dir, names[i]);
                unlink(path);
        }
        rmdir(ceiling_dir);
}

static void ceiling_copy(const char *name, char *out, size_t size)
{
        if (!ceiling_dir[0]) {
                snprintf(ceiling_dir, sizeof(ceiling_dir), "/tmp/mcpcage-ceiling-XXXXXX");
                if (!mkdtemp(ceiling_dir))
                        abort();
                atexit(ceiling_cleanup);
        }
        char src[1024];
        snprintf(src, sizeof(src), "ceiling/%s", name);
        FILE *in = fopen(fx(src), "rb");
        snprintf(out, size, "%s/%s", ceiling_dir, name);
        FILE *o = fopen(out, "wb");
        if (!in || !o)
                abort();
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
                fwrite(chunk, 1, n, o);
        fclose(in);
        if (fchmod(fileno(o), 0644) < 0)
                abort();
        fclose(o);
}

static void test_ceiling(void)
{
        if (geteuid() != 0) {
                tap_skip("the ceiling must be root-owned; run as root", "ceiling tests");
                return;
        }
        char cfile[1024], deny_all[1024], cwd_var[1024], ext[1024];
        /* Ceilings are read from private copies made 0644: a checkout's modes follow the
         * umask of whoever made it (git archive gives 0664), and a group-writable ceiling
         * is rightly refused. */
        ceiling_copy("ceiling.json", cfile, sizeof(cfile));
        ceiling_copy("deny-all.json", deny_all, sizeof(deny_all));
        ceiling_copy("cwd-var.json", cwd_var, sizeof(cwd_var));
        ceiling_copy("extends.json", ext, sizeof(ext));
        struct policy_env ce;
        setup_env(&ce, fx("search1"), NULL, cfile);
        char want[2048];

        struct policy *p = load_with(&ce, fx("ceiling/ok.json"), "a policy inside the ceiling");
        check_str(p, "/limits/memory", "1G");
        check_json(p, "/limits/pids", "128");
        check_str(p, "/mcp/limits/calls", "100/min");
        check_str(p, "/audit/file", "/var/log/mcpcage/audit.jsonl");
        check_json(p, "/audit/syslog", "true");
        check_str(p, "/mcp/pin/on_change", "block");
        check_json(p, "/seccomp/deny", "[\"ptrace\"]");
        check_json(p, "/mcp/redact/results", "[\"secrets\",\"pii\"]");
        check_json(p, "/mcp/tools/write_file/redact", "[\"secrets\",\"pii\"]");
        check_json(p, "/mcp/paths/deny", "[\"**/.env\"]");
        check_json(p, "/mcp/tools/shell_*", "\"deny\"");
        check_json(p, "/mcp/tools/eval", "\"deny\"");
        check_json(p, "/filesystem/mask", "[\"" HOME "/projects/secrets\"]");
        check_str(p, "/network/mode", "none");
        if (p) {
                const char *rw[] = { HOME "/projects/scratch/y" };
                struct policy_cli cli = { .rw = rw, .n_rw = 1 };
                struct mc_error err = { 0 };
                if (!tap_ok(policy_apply_cli(p, &cli, &ce, &err) == 0, "--rw inside the ceiling"))
                        printf("#   error: %s\n", err.msg);
                const char *out[] = { "/etc" };
                struct policy_cli wide = { .rw = out, .n_rw = 1 };
                tap_ok(policy_apply_cli(p, &wide, &ce, &err) < 0, "--rw outside the ceiling is refused");
                snprintf(want, sizeof(want), "%s: /filesystem/read_write/2: \"/etc\" is not within any of the "
                         "ceiling's filesystem.read_write paths", cfile);
                tap_is_str(err.msg, want, "--rw outside the ceiling: message");
                const char *g[] = { "admin" };
                struct policy_cli grant = { .grant = g, .n_grant = 1 };
                tap_ok(policy_apply_cli(p, &grant, &ce, &err) < 0, "--grant outside the ceiling is refused");
                snprintf(want, sizeof(want), "%s: /mcp/scopes/1: scope \"admin\" is not granted by the ceiling", cfile);
                tap_is_str(err.msg, want, "--grant outside the ceiling: message");
                struct policy_cli log = { .audit_log = "/tmp/elsewhere.jsonl" };
                tap_ok(policy_apply_cli(p, &log, &ce, &err) == 0, "--audit-log under a ceiling");
                check_str(p, "/audit/file", "/var/log/mcpcage/audit.jsonl");
        }
        policy_free(p);

        p = load_with(&ce, NULL, "the built-in default under the ceiling");
        check_str(p, "/limits/memory", "1G");
        check_str(p, "/mcp/pin/on_change", "block");
        check_json(p, "/mcp/tools", "{\"*\":\"allow\",\"shell_*\":\"deny\",\"eval\":\"deny\"}");
        check_json(p, "/seccomp/allow", "[]");
        policy_free(p);

        static const struct { const char *file, *pointer_reason; } widen[] = {
                { "wide-net.json", "/network/mode: \"host\" goes beyond the ceiling's \"loopback\"" },
                { "wide-rw.json", "/filesystem/read_write/0: \"/etc\" is not within any of the ceiling's "
                                  "filesystem.read_write paths" },
                { "under-mask.json", "/filesystem/read_write/0: \"" HOME "/projects/secrets/keys\" lies under "
                                     "the ceiling's mask \"" HOME "/projects/secrets\"" },
                { "scope.json", "/mcp/scopes/1: scope \"system:execute\" is not granted by the ceiling" },
                { "implied.json", "/mcp/scopes/0: scope \"admin\" (implied by \"files:write\") is not granted "
                                  "by the ceiling" },
                { "tool.json", "/mcp/tools/shell_exec: tool \"shell_exec\" is denied by the ceiling" },
                { "pin.json", "/mcp/pin/on_change: \"warn\" goes beyond the ceiling's \"block\"" },
                { "seccomp-allow.json", "/seccomp/allow/0: \"ptrace\" is not within the ceiling's seccomp.allow" },
                { "paths-write.json", "/mcp/paths/write/0: \"" HOME "/projects\" is not within any of the "
                                      "ceiling's mcp.paths.write roots" },
        };
        for (size_t i = 0; i < sizeof(widen) / sizeof(widen[0]); i++) {
                char rel[256];
                snprintf(rel, sizeof(rel), "ceiling/%s", widen[i].file);
                snprintf(want, sizeof(want), "%s: %s", cfile, widen[i].pointer_reason);
                fails_with(&ce, fx(rel), want, widen[i].file);
        }
        policy_env_clear(&ce);

        /* a ceiling that denies by default */
        setup_env(&ce, fx("search1"), NULL, deny_all);
        p = load_with(&ce, NULL, "the built-in default under a deny-all ceiling");
        check_json(p, "/mcp/tools", "{\"*\":\"deny\"}");
        policy_free(p);
        snprintf(want, sizeof(want), "%s: /mcp/tools/*: tool \"*\" is denied by the ceiling", deny_all);
        fails_with(&ce, fx("ceiling/star.json"), want, "\"*\": \"allow\" under a deny-all ceiling");
        snprintf(want, sizeof(want), "%s: /mcp/tools/git_*: tool \"git_*\" is denied by the ceiling", deny_all);
        fails_with(&ce, fx("ceiling/extends-default.json"), want, "a glob the ceiling does not allow");
        policy_env_clear(&ce);

        /* ceilings that are refused themselves */
        setup_env(&ce, NULL, NULL, cwd_var);
        snprintf(want, sizeof(want), "%s: /filesystem/read_write/0: variable ${CWD} comes from the user's "
                 "environment and is not allowed in the ceiling", cwd_var);
        fails_with(&ce, fx("valid/minimal.json"), want, "a ceiling using ${CWD}");
        policy_env_clear(&ce);
        setup_env(&ce, NULL, NULL, ext);
        snprintf(want, sizeof(want), "%s: /extends: not allowed in the ceiling", ext);
        fails_with(&ce, fx("valid/minimal.json"), want, "a ceiling with extends");
        policy_env_clear(&ce);
        setup_env(&ce, NULL, NULL, "/nonexistent/ceiling.json");
        p = load_with(&ce, fx("ceiling/wide-net.json"), "no ceiling file: no ceiling");
        policy_free(p);
        policy_env_clear(&ce);

        char tmp[] = "/tmp/test-policy-ceiling-XXXXXX";
        int fd = mkstemp(tmp);
        if (fd >= 0) {
                const char text[] = "{ \"version\": 1, \"network\": { \"mode\": \"none\" } }\n";
                tap_ok(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1, "temporary ceiling written");
                setup_env(&ce, NULL, NULL, tmp);
                tap_ok(fchown(fd, 65534, 65534) == 0, "ceiling handed to nobody");
                snprintf(want, sizeof(want), "%s: the ceiling must be owned by root", tmp);
                fails_with(&ce, fx("valid/minimal.json"), want, "a ceiling not owned by root");
                tap_ok(fchown(fd, 0, 0) == 0 && fchmod(fd, 0664) == 0, "ceiling made group-writable");
                snprintf(want, sizeof(want), "%s: the ceiling must not be writable by group or others", tmp);
                fails_with(&ce, fx("valid/minimal.json"), want, "a group-writable ceiling");
                tap_ok(fchmod(fd, 0644) == 0, "ceiling made root-only writable");
                snprintf(want, sizeof(want), "%s: /network/mode: \"loopback\" goes beyond the ceiling's \"none\"", tmp);
                fails_with(&ce, fx("valid/order-a.json"), want, "the same ceiling, root-owned, applies");
                policy_env_clear(&ce);
                close(fd);
                unlink(tmp);
        }
}

/* ---- the subcommands ---- */
static int capture(int (*fn)(const char *, const struct policy_env *), const char *arg, char **out)
{
        FILE *tmp = tmpfile();
        fflush(stdout);
        int saved = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(fileno(tmp), STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        int rc = fn(arg, &env);
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        dup2(saved_err, STDERR_FILENO);
        close(saved);
        close(saved_err);
        close(devnull);
        long len = ftell(tmp);
        rewind(tmp);
        *out = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
        if (len > 0 && fread(*out, 1, (size_t)len, tmp) != (size_t)len)
                (*out)[0] = '\0';
        fclose(tmp);
        return rc;
}

static int list_adapter(const char *unused, const struct policy_env *e)
{
        (void)unused;
        return policy_cmd_list(e);
}

static void test_cmds(void)
{
        char *out = NULL;
        int rc = capture(policy_cmd_check, fx("valid/child.json"), &out);
        tap_ok(rc == 0, "policy check of a valid policy exits 0");
        struct policy *p = load_ok(fx("valid/child.json"), "child again");
        json_t *printed = json_loads(out, 0, NULL);
        tap_ok(p && printed && json_equal(printed, p->root), "policy check prints the effective policy");
        json_decref(printed);
        policy_free(p);
        free(out);
        rc = capture(policy_cmd_check, fx("invalid/version-2.json"), &out);
        tap_ok(rc == 125, "policy check of an invalid policy exits 125");
        tap_is_str(out, "", "nothing on stdout for an invalid policy");
        free(out);
        rc = capture(list_adapter, NULL, &out);
        tap_ok(rc == 0, "policy list exits 0");
        tap_ok(out && strstr(out, "base-node") && strstr(out, "node runtime") && strstr(out, "<built-in>"),
               "policy list shows names, descriptions and the built-in default");
        tap_ok(out && strstr(out, POLICY_FIXTURES "/search2/shadow.json (shadowed)"), "policy list marks shadowed files");
        free(out);
}

int main(void)
{
        setup_env(&env, POLICY_FIXTURES "/search1", POLICY_FIXTURES "/search2", NULL);
        test_units();
        test_builtin();
        test_defaults();
        test_full();
        test_vars();
        test_extends();
        test_invalid();
        test_sha256();
        test_cli();
        test_ceiling();
        test_cmds();
        policy_env_clear(&env);
        return tap_done();
}
