/* mcpcage wrap/unwrap: the transformation on desktop-config fixtures (tests/unit/wrap/),
 * the policy match, command resolution, the dry-run diff, and the file handling (backup,
 * atomic replace keeping the mode, a symlinked config). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "wrap/wrap.h"
#include "wrap/wrap-internal.h"

#define MCPCAGE "/usr/local/bin/mcpcage"

static char dir_policies[] = WRAP_FIXTURES "/policies", dir_npx[] = WRAP_FIXTURES "/policies-npx";
static char *policy_dirs[] = { dir_policies, NULL };
static char *policy_dirs_npx[] = { dir_policies, dir_npx, NULL };
static struct policy_env penv, penv_npx;

/* A policy environment by hand: the fixture search path, no ceiling, fixed variables. */
static void fill_env(struct policy_env *e, char **dirs)
{
        static char home[] = "/nonexistent-home", user[] = "me", uid[] = "1000", cwd[] = "/",
                    tmp[] = "/tmp", cfg[] = "/nonexistent-home/.config",
                    state[] = "/nonexistent-home/.local/state", cache[] = "/nonexistent-home/.cache",
                    run[] = "/run/user/1000";
        *e = (struct policy_env){ home, user, uid, cwd, tmp, cfg, state, cache, run,
                                  { dirs[0], dirs[1], NULL, NULL }, NULL };
}

static struct wrap_options options(char **dirs)
{
        return (struct wrap_options){ MCPCAGE, "relative/bin:" WRAP_FIXTURES "/bin",
                                      dirs == policy_dirs ? &penv : &penv_npx, NULL, 0 };
}

static char *slurp(const char *path)
{
        struct wrap_file f;
        struct mc_error err = { 0 };
        if (wrap_file_read(path, &f, &err) < 0) {
                printf("# %s\n", err.msg);
                wrap_file_clear(&f);
                return NULL;
        }
        char *s = strndup(f.bytes.data, f.bytes.len);
        wrap_file_clear(&f);
        return s;
}

static json_t *load(const char *name)
{
        json_error_t jerr;
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", WRAP_FIXTURES, name) < 0)
                return NULL;
        json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!j)
                printf("# %s: %s\n", path, jerr.text);
        return j;
}

/* The expected file with @BIN@ replaced by the fixture bin directory. */
static char *expected(const char *name)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        if (asprintf(&path, "%s/%s", WRAP_FIXTURES, name) < 0 || !(text = slurp(path)))
                return NULL;
        struct buf out = { 0 };
        for (const char *p = text; *p;) {
                const char *at = strstr(p, "@BIN@");
                size_t n = at ? (size_t)(at - p) : strlen(p);
                buf_append(&out, p, n);
                if (!at)
                        break;
                buf_append_str(&out, WRAP_FIXTURES "/bin");
                p = at + 5;
        }
        buf_append(&out, "", 1);
        return out.data;
}

static json_t *entry(json_t *config, const char *name)
{
        return json_object_get(json_object_get(config, "mcpServers"), name);
}

static const char *arg_after(json_t *e, const char *opt)
{
        json_t *args = json_object_get(e, "args");
        for (size_t i = 0; i + 1 < json_array_size(args); i++)
                if (!strcmp(json_string_value(json_array_get(args, i)), opt))
                        return json_string_value(json_array_get(args, i + 1));
        return NULL;
}

static const struct wrap_note *find_note(const struct wrap_report *r, const char *name)
{
        for (size_t i = 0; i < r->n; i++)
                if (!strcmp(r->notes[i].entry, name))
                        return &r->notes[i];
        return NULL;
}

static void test_fixture_is_canonical(void)
{
        _cleanup_json_ json_t *cfg = load("desktop.json");
        _cleanup_free_ char *text = slurp(WRAP_FIXTURES "/desktop.json"), *dumped = cfg ? wrap_dump(cfg) : NULL;
        tap_is_str(dumped, text, "the fixture is written as wrap writes (so 'exactly' means byte for byte)");
}

static void test_wrap_expected(void)
{
        _cleanup_json_ json_t *cfg = load("desktop.json");
        struct wrap_options o = options(policy_dirs);
        struct wrap_report r = { 0 };
        struct mc_error err = { 0 };
        tap_ok(cfg && wrap_config(cfg, &o, &r, &err) == 0, "wrap desktop.json: %s", err.msg);
        _cleanup_free_ char *got = cfg ? wrap_dump(cfg) : NULL, *want = expected("desktop.wrapped.json");
        if (!tap_is_str(got, want, "wrap(desktop.json) is desktop.wrapped.json: keys, order, env, cwd, unknown keys kept"))
                fputs(got ? got : "", stdout);
        tap_ok(wrap_report_count(&r, WRAP_WRAPPED) == 5 && wrap_report_count(&r, WRAP_ALREADY) == 1 &&
               wrap_report_count(&r, WRAP_REMOTE) == 2 && wrap_report_count(&r, WRAP_NOT_WRAPPED) == 1,
               "report: 5 wrapped, 1 already, 2 remote, 1 not wrapped");
        const struct wrap_note *n = find_note(&r, "remote");
        tap_is_str(n ? n->detail : NULL, "https://mcp.example.com/mcp", "a remote entry is listed with its URL");
        n = find_note(&r, "missing");
        tap_ok(n && n->outcome == WRAP_NOT_WRAPPED && strstr(n->detail, "not found on PATH"),
               "a command not on PATH is left unwrapped, and says why: %s", n ? n->detail : "");
        n = find_note(&r, "files");
        tap_ok(n && n->warning && strstr(n->warning, "does not exist"),
               "a filesystem directory that does not exist is warned about");
        n = find_note(&r, "weather");
        tap_ok(n && n->warning && strstr(n->warning, "env WEATHER_TOKEN: not in policy default's env.pass") &&
               !strstr(n->warning, "LANG"),
               "an env entry the policy does not pass is warned about, one it passes is not: %s",
               n && n->warning ? n->warning : "(none)");
        n = find_note(&r, "everything");
        tap_ok(n && !n->warning, "no env, no warning");
        tap_ok(entry(cfg, "missing") && !strcmp(json_string_value(json_object_get(entry(cfg, "missing"), "command")),
                                                "no-such-server-for-test-wrap"),
               "the unwrapped entry is untouched");
        wrap_report_free(&r);
}

static void test_idempotent_and_exact(void)
{
        _cleanup_json_ json_t *cfg = load("desktop.json");
        struct wrap_options o = options(policy_dirs);
        struct wrap_report r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
        struct mc_error err = { 0 };
        /* without the entry that was under mcpcage before: unwrap rightly takes that one
         * out too, so x would not come back */
        json_object_del(json_object_get(cfg, "mcpServers"), "old");
        _cleanup_json_ json_t *orig = json_deep_copy(cfg);
        _cleanup_free_ char *text = wrap_dump(cfg);
        wrap_config(cfg, &o, &r1, &err);
        _cleanup_free_ char *once = wrap_dump(cfg);
        tap_ok(wrap_config(cfg, &o, &r2, &err) == 0, "wrap a wrapped config");
        _cleanup_free_ char *twice = wrap_dump(cfg);
        tap_is_str(twice, once, "wrap(wrap(x)) == wrap(x)");
        tap_ok(wrap_report_count(&r2, WRAP_WRAPPED) == 0 && wrap_report_count(&r2, WRAP_ALREADY) == 5,
               "the second wrap finds every stdio server already wrapped (but the unresolvable one)");
        tap_ok(unwrap_config(cfg, &o, &r3, &err) == 0, "unwrap");
        _cleanup_free_ char *back = wrap_dump(cfg);
        tap_is_str(back, text, "unwrap(wrap(x)) == x, byte for byte (bare commands, no args key, order)");
        tap_ok(json_equal(cfg, orig), "unwrap(wrap(x)) == x as JSON");
        tap_ok(wrap_report_count(&r3, WRAP_UNWRAPPED) == 5 && wrap_report_count(&r3, WRAP_NOT_MCPCAGE) == 1 &&
               wrap_report_count(&r3, WRAP_REMOTE) == 2, "unwrap: 5 restored, 1 never wrapped, 2 remote");
        wrap_report_free(&r1);
        wrap_report_free(&r2);
        wrap_report_free(&r3);
}

static void test_unwrap_earlier_entry(void)
{
        _cleanup_json_ json_t *cfg = load("desktop.json");
        struct wrap_options o = options(policy_dirs);
        struct wrap_report r = { 0 };
        struct mc_error err = { 0 };
        unwrap_config(cfg, &o, &r, &err);
        json_t *e = entry(cfg, "old");
        _cleanup_free_ char *args = json_dumps(json_object_get(e, "args"), JSON_COMPACT);
        tap_is_str(json_string_value(json_object_get(e, "command")), "/usr/bin/node",
                   "unwrap restores an entry wrapped by hand or by an older mcpcage (basename mcpcage)");
        tap_is_str(args, "[\"/opt/memory/index.js\"]", "  with its arguments");
        wrap_report_free(&r);
}

static void test_npx_policy(void)
{
        _cleanup_json_ json_t *cfg = load("desktop.json");
        struct wrap_options o = options(policy_dirs_npx);
        struct wrap_report r = { 0 };
        struct mc_error err = { 0 };
        /* an npx entry of a package without a policy of its own */
        json_object_set_new(json_object_get(cfg, "mcpServers"), "unlisted",
                            json_pack("{s:s, s:[s,s]}", "command", "npx", "args", "-y",
                                      "some-unlisted-mcp-server"));
        wrap_config(cfg, &o, &r, &err);
        tap_is_str(arg_after(entry(cfg, "everything"), "--policy"), "everything",
                   "an npx entry of a known package takes the package's hardened policy");
        tap_is_str(arg_after(entry(cfg, "unlisted"), "--policy"), "npx",
                   "an npx entry of an unknown package takes the npx policy when one exists");
        tap_is_str(arg_after(entry(cfg, "files"), "--rw"), "/srv/projects",
                   "... and server-filesystem's directories still become --rw");
        tap_is_str(arg_after(entry(cfg, "weather"), "--policy"), "default", "a python server with no policy: default");
        wrap_report_free(&r);
}

static void test_overrides(void)
{
        _cleanup_json_ json_t *cfg = load("desktop.json");
        const char *ov[] = { "weather=memory", "files=" WRAP_FIXTURES "/policies/../policies/everything.json" };
        struct wrap_options o = options(policy_dirs);
        o.overrides = ov;
        o.n_overrides = 2;
        struct wrap_report r = { 0 };
        struct mc_error err = { 0 };
        tap_ok(wrap_config(cfg, &o, &r, &err) == 0, "wrap with --policy overrides: %s", err.msg);
        tap_is_str(arg_after(entry(cfg, "weather"), "--policy"), "memory", "--policy NAME=POLICY picks the entry's policy");
        tap_is_str(arg_after(entry(cfg, "files"), "--policy"), WRAP_FIXTURES "/policies/everything.json",
                   "a policy path is written absolute (the desktop app has its own cwd)");
        wrap_report_free(&r);

        const char *broken[] = { "weather=broken" };
        o.overrides = broken;
        o.n_overrides = 1;
        _cleanup_json_ json_t *c1 = load("desktop.json");
        tap_ok(wrap_config(c1, &o, &r, &err) == 0, "a policy that exists but does not load can be chosen");
        const struct wrap_note *n = find_note(&r, "weather");
        tap_ok(n && n->warning && strstr(n->warning, "policy broken does not load") && strstr(n->warning, "no_such_key"),
               "... and its entry says the server will not start: %s", n && n->warning ? n->warning : "(none)");
        wrap_report_free(&r);

        const char *bad_entry[] = { "wether=memory" };
        o.overrides = bad_entry;
        o.n_overrides = 1;
        mc_error_clear(&err);
        _cleanup_json_ json_t *c2 = load("desktop.json");
        tap_ok(wrap_config(c2, &o, &r, &err) < 0 && strstr(err.msg, "no server \"wether\""),
               "an override naming no server is an error: %s", err.msg);
        wrap_report_free(&r);
        const char *bad_policy[] = { "weather=no-such-policy" };
        o.overrides = bad_policy;
        mc_error_clear(&err);
        tap_ok(wrap_config(c2, &o, &r, &err) < 0 && strstr(err.msg, "not found"),
               "an override naming a missing policy is an error: %s", err.msg);
        wrap_report_free(&r);
        const char *no_eq[] = { "weather" };
        o.overrides = no_eq;
        mc_error_clear(&err);
        tap_ok(wrap_config(c2, &o, &r, &err) < 0 && strstr(err.msg, "NAME=POLICY"),
               "an override without '=' is an error: %s", err.msg);
        wrap_report_free(&r);
}

static json_t *one_server(const char *name, const char *json)
{
        json_error_t jerr;
        json_t *e = json_loads(json, 0, &jerr);
        json_t *cfg = json_pack("{s:{s:o}}", "mcpServers", name, e);
        return cfg;
}

static void test_match_forms(void)
{
        struct wrap_options o = options(policy_dirs);
        struct mc_error err = { 0 };
        struct {
                const char *json, *policy, *rw;
        } cases[] = {
                { "{\"command\":\"node\",\"args\":[\"/x/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js\",\"/data\"]}",
                  "filesystem", "/data" },
                { "{\"command\":\"/usr/local/bin/mcp-server-filesystem\",\"args\":[\"/data\",\"/more\"]}", "filesystem", "/data" },
                { "{\"command\":\"npx\",\"args\":[\"-y\",\"@modelcontextprotocol/server-memory@1.0.0\"]}", "memory", NULL },
                { "{\"command\":\"npx\",\"args\":[\"-y\",\"@modelcontextprotocol/server-filesystem-extra\",\"/data\"]}",
                  "default", NULL },
                { "{\"command\":\"uvx\",\"args\":[\"mcp-server-git\"]}", "default", NULL },
                { "{\"command\":\"/opt/bin/everything\",\"args\":[]}", "everything", NULL },
                { "{\"command\":\"/opt/bin/.hidden\"}", "default", NULL },
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                _cleanup_json_ json_t *cfg = one_server("s", cases[i].json);
                struct wrap_report r = { 0 };
                wrap_config(cfg, &o, &r, &err);
                json_t *e = entry(cfg, "s");
                tap_is_str(arg_after(e, "--policy"), cases[i].policy, cases[i].json);
                tap_is_str(arg_after(e, "--rw"), cases[i].rw, "  its --rw");
                wrap_report_free(&r);
        }
}

static void test_unwrap_forms(void)
{
        struct wrap_options o = options(policy_dirs);
        struct mc_error err = { 0 };
        struct wrap_report r = { 0 };
        /* design.md's hand-written form: bare mcpcage, options with values, then the server */
        _cleanup_json_ json_t *cfg = one_server("files",
                "{\"command\":\"mcpcage\",\"args\":[\"-p\",\"filesystem\",\"--rw=/home/me\",\"-v\",\"--name\",\"--\","
                "\"--\",\"node\",\"/opt/index.js\",\"--\",\"/home/me\"]}");
        unwrap_config(cfg, &o, &r, &err);
        json_t *e = entry(cfg, "files");
        _cleanup_free_ char *args = json_dumps(json_object_get(e, "args"), JSON_COMPACT);
        tap_is_str(json_string_value(json_object_get(e, "command")), "node",
                   "a hand-written entry unwraps to the command after the separator (not an option's value \"--\")");
        tap_is_str(args, "[\"/opt/index.js\",\"--\",\"/home/me\"]", "  and its own arguments, a later \"--\" included");
        wrap_report_free(&r);

        _cleanup_json_ json_t *odd = one_server("--", "{\"command\":\"node\",\"args\":[\"--\"]}");
        _cleanup_json_ json_t *copy = json_deep_copy(odd);
        wrap_config(odd, &o, &r, &err);
        wrap_report_free(&r);
        unwrap_config(odd, &o, &r, &err);
        tap_ok(json_equal(odd, copy), "an entry named \"--\" with args [\"--\"] survives wrap and unwrap");
        wrap_report_free(&r);

        _cleanup_json_ json_t *broken = one_server("x", "{\"command\":\"/usr/bin/mcpcage\",\"args\":[\"doctor\"]}");
        _cleanup_json_ json_t *bcopy = json_deep_copy(broken);
        unwrap_config(broken, &o, &r, &err);
        const struct wrap_note *n = find_note(&r, "x");
        tap_ok(n && n->outcome == WRAP_NOT_WRAPPED && json_equal(broken, bcopy),
               "an mcpcage entry without \"--\" is left as is, with the reason: %s", n ? n->detail : "");
        wrap_report_free(&r);

        _cleanup_json_ json_t *bad = one_server("y", "{\"command\":\"node\",\"args\":[\"a\",1]}");
        wrap_config(bad, &o, &r, &err);
        n = find_note(&r, "y");
        tap_ok(n && n->outcome == WRAP_NOT_WRAPPED, "args that are not all strings: not wrapped");
        wrap_report_free(&r);
        _cleanup_json_ json_t *notobj = json_pack("{s:[]}", "mcpServers");
        tap_ok(wrap_config(notobj, &o, &r, &err) < 0, "mcpServers that is not an object is an error: %s", err.msg);
        wrap_report_free(&r);
}

static void test_resolve(void)
{
        struct mc_error err = { 0 };
        _cleanup_free_ char *p = NULL, *q = NULL, *s = NULL;
        tap_ok(!wrap_policy_exists("../policies/filesystem", policy_dirs) && !wrap_policy_exists(".hidden", policy_dirs) &&
               wrap_policy_exists("default", NULL), "policy names are plain names; default is built in");
        tap_ok(wrap_resolve_command("npx", "/nonexistent:" WRAP_FIXTURES "/bin", &p, &err) == 0 &&
               !strcmp(p, WRAP_FIXTURES "/bin/npx"), "npx resolves on PATH");
        tap_ok(wrap_resolve_command("not-executable", WRAP_FIXTURES "/bin", &q, &err) == -ENOENT,
               "a file without the execute bit is not a command");
        tap_ok(wrap_resolve_command("npx", "tests/unit/wrap/bin:bin", &s, &err) == -ENOENT,
               "relative PATH entries are ignored (they would mean the desktop app's cwd)");
}

static void test_diff(void)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        wrap_diff("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n", "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\nl\nm\nn\n",
                  "x", "y", f);
        fclose(f);
        tap_is_str(buf, "--- x\n+++ y\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
                        "@@ -11,3 +11,4 @@\n k\n l\n m\n+n\n", "diff: changes 8 lines apart are two hunks, 3 lines of context");
        free(buf);
        f = open_memstream(&buf, &len);
        wrap_diff("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n", "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\nl\n", "x", "y", f);
        fclose(f);
        tap_is_str(buf, "--- x\n+++ y\n@@ -2,10 +2,11 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n i\n j\n k\n+l\n",
                   "diff: changes 6 lines apart share a hunk (their contexts touch)");
        free(buf);
        f = open_memstream(&buf, &len);
        wrap_diff("", "x\n", "x", "y", f);
        fclose(f);
        tap_is_str(buf, "--- x\n+++ y\n@@ -0,0 +1,1 @@\n+x\n", "diff from an empty text");
        free(buf);
        f = open_memstream(&buf, &len);
        wrap_diff("a\nb\n", "a\nb\n", "x", "y", f);
        fclose(f);
        tap_is_str(buf, "--- x\n+++ y\n", "diff of equal texts: no hunk");
        free(buf);
}

static void test_files(void)
{
        char dir[] = "/tmp/test-wrap-XXXXXX";
        if (!mkdtemp(dir)) {
                tap_ok(false, "mkdtemp");
                return;
        }
        _cleanup_free_ char *cfg = NULL, *link = NULL;
        FILE *w = NULL;
        if (asprintf(&cfg, "%s/claude_desktop_config.json", dir) < 0 ||
            asprintf(&link, "%s/link.json", dir) < 0 || !(w = fopen(cfg, "w")) ||
            fputs("{\"mcpServers\": {}}", w) < 0 || fclose(w) != 0 || chmod(cfg, 0640) < 0 ||
            symlink(cfg, link) < 0) {
                tap_ok(false, "setting up %s: %s", dir, strerror(errno));
                return;
        }
        struct wrap_file f;
        struct mc_error err = { 0 };
        _cleanup_free_ char *b1 = NULL, *b2 = NULL;
        tap_ok(wrap_file_read(link, &f, &err) == 0 && !strcmp(f.path, cfg), "a symlinked config is read at its target");
        tap_ok(wrap_file_backup(&f, &b1, &err) == 0 && b1 && strstr(b1, ".json.mcpcage-backup") &&
               !strcmp(strstr(b1, ".json.mcpcage-backup"), ".json.mcpcage-backup"), "first backup: CONFIG.mcpcage-backup");
        tap_ok(wrap_file_backup(&f, &b2, &err) == 0 && b2 && strstr(b2, ".mcpcage-backup.2"),
               "second backup: timestamped, the first kept (%s)", b2 ? b2 : err.msg);
        tap_ok(wrap_file_replace(&f, "{}\n", &err) == 0, "replace: %s", err.msg);
        struct stat st, lst;
        tap_ok(stat(cfg, &st) == 0 && (st.st_mode & 07777) == 0640, "the mode is kept (0640)");
        tap_ok(lstat(link, &lst) == 0 && S_ISLNK(lst.st_mode), "the symlink is kept, its target replaced");
        _cleanup_free_ char *now = slurp(cfg), *old = b1 ? slurp(b1) : NULL;
        tap_is_str(now, "{}\n", "the new text is in place");
        tap_is_str(old, "{\"mcpServers\": {}}", "the backup holds the original bytes");
        tap_ok(b1 && stat(b1, &st) == 0 && (st.st_mode & 07777) == 0640, "the backup has the original's mode");
        wrap_file_clear(&f);
        tap_ok(wrap_file_read(cfg, &f, &err) == 0, "read it again");
        w = fopen(cfg, "w");
        if (w) {
                fputs("{\"changed\": \"by the desktop app\"}\n", w);
                fclose(w);
        }
        tap_ok(wrap_file_replace(&f, "{}\n", &err) == -EAGAIN, "a file changed since it was read is not replaced: %s", err.msg);
        _cleanup_free_ char *kept = slurp(cfg);
        tap_is_str(kept, "{\"changed\": \"by the desktop app\"}\n", "... the other writer's change stays");
        wrap_file_clear(&f);
        const char *made[] = { b2, b1, link, cfg };
        for (size_t i = 0; i < ARRAY_SIZE(made); i++)
                if (made[i])
                        unlink(made[i]);
        tap_ok(rmdir(dir) == 0, "nothing else was left in the directory (no temporary file)");
}

int main(void)
{
        fill_env(&penv, policy_dirs);
        fill_env(&penv_npx, policy_dirs_npx);
        test_fixture_is_canonical();
        test_wrap_expected();
        test_idempotent_and_exact();
        test_unwrap_earlier_entry();
        test_npx_policy();
        test_overrides();
        test_match_forms();
        test_unwrap_forms();
        test_resolve();
        test_diff();
        test_files();
        return tap_done();
}
