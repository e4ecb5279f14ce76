/* threats.md §2 "path args": every listed input against src/inspect/rules/paths.c, in a
 * temporary tree with a read root, a write root inside it, a symlink pointing out, a
 * dangling symlink and deny-glob files. */
#include "inspect/rules/paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "tap.h"

static char base[PATH_MAX], root[PATH_MAX + 64];
static struct path_rules *rules;

static void make_tree(void)
{
        char tmpl[] = "/tmp/mcpcage-test-paths-XXXXXX", p[PATH_MAX + 200];
        FILE *f;

        if (!mkdtemp(tmpl) || !realpath(tmpl, base))
                abort();
        snprintf(root, sizeof(root), "%s/root", base);
        const char *dirs[] = { "root", "root/sub", "root/rw", "root/.git", "rootx", "outside" };
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                snprintf(p, sizeof(p), "%s/%s", base, dirs[i]);
                if (mkdir(p, 0700) < 0)
                        abort();
        }
        const char *files[] = { "root/sub/file", "root/sub/.env", "root/.git/config",
                                "root/sub/key.pem", "rootx/file", "outside/secret" };
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                snprintf(p, sizeof(p), "%s/%s", base, files[i]);
                if (!(f = fopen(p, "w")))
                        abort();
                fclose(f);
        }
        snprintf(p, sizeof(p), "%s/root/link", base);
        if (symlink("/etc", p) < 0)
                abort();
        snprintf(p, sizeof(p), "%s/root/sub/fifo", base);
        if (mkfifo(p, 0600) < 0)
                abort();
        snprintf(p, sizeof(p), "%s/root/rw/dangling", base);
        char target[PATH_MAX + 64];
        snprintf(target, sizeof(target), "%s/outside/created-by-write", base);
        if (symlink(target, p) < 0)
                abort();
        snprintf(p, sizeof(p), "%s/root/rw/inlink", base);
        if (symlink("../sub", p) < 0)
                abort();
}

static void remove_tree(void)
{
        char cmd[PATH_MAX + 32];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", base);
}

static struct rule_decision check(const char *arg, enum path_mode mode)
{
        struct rule_decision d;
        path_check(rules, arg, strlen(arg), mode, &d);
        return d;
}

/* In tmpl, "%s" stands for the root and "%%" for a literal "%" (printf-like, but expanded
 * here so the templates need not be format literals). */
static void expand(char *out, size_t size, const char *tmpl)
{
        size_t n = 0;
        for (const char *t = tmpl; *t && n + 1 < size; t++) {
                if (t[0] == '%' && t[1] == 's') {
                        n += (size_t)snprintf(out + n, size - n, "%s", root);
                        t++;
                } else {
                        if (t[0] == '%' && t[1] == '%')
                                t++;
                        out[n++] = *t;
                }
        }
        out[n < size ? n : size - 1] = '\0';
}

/* expect() without a test point: for loops that only count the outcome. */
static void expect_quiet(bool allow, enum path_mode mode, const char *fmt)
{
        char arg[PATH_MAX * 2];
        expand(arg, sizeof(arg), fmt);
        struct rule_decision d = check(arg, mode);
        if (d.allow != allow)
                tap_ok(false, "%s: %s", arg, d.reason);
}

static void expect(bool allow, enum path_mode mode, const char *fmt, const char *rule)
{
        char arg[PATH_MAX * 2];
        expand(arg, sizeof(arg), fmt);
        struct rule_decision d = check(arg, mode);
        tap_ok(d.allow == allow, "%s %s %s", mode == PATH_WRITE ? "write" : "read", fmt,
               allow ? "allowed" : "denied");
        if (d.allow != allow || !d.allow)
                printf("#   rule %s reason %s\n", d.rule, d.reason);
        if (rule)
                tap_is_str(d.rule, rule, "  ... decided by the expected rule");
}

static void compile(void)
{
        char pol[4 * PATH_MAX];
        struct mc_error err = { 0 };
        snprintf(pol, sizeof(pol),
                 "{\"read\": [\"%s\"], \"write\": [\"%s/rw/\"], \"deny\": [\"**/.git/config\", "
                 "\"**/.env\", \"**/id_*\", \"**/*.pem\", \"**/.git\"]}", root, root);
        json_t *j = json_loads(pol, 0, NULL);
        int r = path_rules_compile(j, root, &rules, &err);
        json_decref(j);
        if (!tap_ok(r == 0, "compile the path rules"))
                printf("#   %s\n", err.msg);
}

static void threat_rows(void)
{
        /* threats.md §2: denied */
        expect(false, PATH_READ, "../../etc/passwd", "/mcp/paths/read");
        expect(false, PATH_READ, "%s/../etc", NULL);
        expect(false, PATH_READ, "//etc", NULL);
        expect(false, PATH_READ, "%s/./x/../../etc", NULL);
        expect(false, PATH_READ, "file:///etc/passwd", NULL);
        expect(false, PATH_READ, "file://localhost/etc", NULL);
        expect(false, PATH_READ, "%%2e%%2e%%2f%%2e%%2e%%2f%%2e%%2e%%2fetc%%2fpasswd", NULL);
        expect(false, PATH_READ, "%s/sub/%%2e%%2e%%2f%%2e%%2e%%2f..%%2fetc", NULL);
        expect(false, PATH_READ, "%s%%00/x", NULL);
        expect(false, PATH_READ, "~root/", NULL);
        expect(false, PATH_READ, "%s/link/passwd", "/mcp/paths/read");
        expect(false, PATH_READ, "%s/link", NULL);
        expect(false, PATH_READ, "%s/sub/.env", "/mcp/paths/deny/1");
        expect(false, PATH_READ, "%s/.git/config", "/mcp/paths/deny/0");
        expect(false, PATH_READ, "%s/sub/key.pem", "/mcp/paths/deny/3");
        expect(false, PATH_WRITE, "%s/rw/id_ed25519", "/mcp/paths/deny/2");
        /* threats.md §2: allowed */
        expect(true, PATH_READ, "%s/sub/file", "/mcp/paths/read/0");
        expect(true, PATH_READ, "sub/file", NULL);
        expect(true, PATH_READ, "./sub//file", NULL);
        expect(true, PATH_WRITE, "%s/rw/not-yet-there.txt", "/mcp/paths/write/0");
        expect(true, PATH_WRITE, "%s/rw/new/dir/file", NULL);
        /* threats.md §2: write under a read-only root */
        expect(false, PATH_WRITE, "%s/sub/file", "/mcp/paths/read/0");
        expect(false, PATH_WRITE, "%s/sub/new-file", NULL);
}

static void edge_rows(void)
{
        expect(true, PATH_READ, "file://%s/sub/file", NULL);
        expect(true, PATH_READ, "FILE://LOCALHOST%s/sub/file", NULL);
        expect(true, PATH_READ, "%s/sub/fi%%6ce", NULL);
        expect(true, PATH_READ, "%s/rw/new/%%zz", NULL);
        expect(true, PATH_READ, ".", NULL);
        expect(true, PATH_READ, "", NULL);
        expect(true, PATH_WRITE, "%s/rw", NULL);
        expect(true, PATH_READ, "%s/rw/../sub/file", NULL);
        /* no symlink on the way (one openat2 decides): ".." steps to the real parent */
        expect(false, PATH_WRITE, "%s/rw/../sub/file", "/mcp/paths/read/0");
        expect(false, PATH_READ, "%s/rw/../../outside/secret", "/mcp/paths/read");
        expect(true, PATH_READ, "%s/sub/fifo", NULL);      /* checked without opening it */
        expect(false, PATH_READ, "file://evil.example%s/sub/file", NULL);
        expect(false, PATH_READ, "file:%s/sub/file", NULL);
        expect(false, PATH_READ, "file://%s/sub/file?x=1", NULL);
        expect(false, PATH_READ, "file://%s/sub/%%zz", NULL);
        expect(false, PATH_READ, "file://%s/sub%%2f..%%2f..%%2f..%%2fetc", NULL);
        expect(false, PATH_READ, "~/x", NULL);
        expect(false, PATH_READ, "%%7eroot/x", NULL);
        expect(false, PATH_READ, "%sx/file", NULL);        /* sibling "rootx" shares a prefix */
        expect(false, PATH_READ, "%s/link/..", NULL);      /* the kernel: parent of /etc */
        expect(false, PATH_WRITE, "%s/rw/missing/../../x", NULL);
        expect(false, PATH_WRITE, "%s/rw/dangling", NULL);
        /* paths that do not exist yet: one openat2 answers ENOENT when it met no symlink
         * before the missing component; any symlink, or a "..", leaves them to the walk */
        expect(false, PATH_WRITE, "%s/rw/inlink/new-file", NULL);      /* symlink, then missing */
        expect(true, PATH_READ, "%s/rw/inlink/new-file", NULL);
        expect(false, PATH_READ, "%s/link/not-there", "/mcp/paths/read"); /* /etc/not-there */
        expect(true, PATH_WRITE, "%s/rw/new/./file", NULL);
        expect(true, PATH_WRITE, "%s/rw/new..name/file", NULL);
        expect(false, PATH_WRITE, "%s/rw/new/../file", NULL);      /* lexically in rw */
        expect(false, PATH_WRITE, "%s/rw/inlink/file", NULL); /* resolves to the ro root */
        expect(true, PATH_READ, "%s/rw/inlink/file", NULL);
        expect(false, PATH_READ, "%s/sub/%%c0%%af", NULL);    /* overlong "/" */
        expect(false, PATH_READ, "%s/sub/\xff", NULL);
        expect(false, PATH_READ, "%s/sub/%%2eenv", "/mcp/paths/deny/1"); /* decoded form */
        expect(false, PATH_READ, "%s/sub/file/x", NULL);   /* ENOTDIR cannot be checked */
        expect(false, PATH_READ, "%s/.git/HEAD", "/mcp/paths/deny/4");  /* under a denied dir */
        expect(false, PATH_READ, "%s/.git", "/mcp/paths/deny/4");
        expect(false, PATH_WRITE, "%s/rw/.env/inner", "/mcp/paths/deny/1");
        expect(true, PATH_READ, "%s/sub/.gitignore", NULL);

        struct rule_decision d;
        char nul[PATH_MAX + 16];
        int n = snprintf(nul, sizeof(nul), "%s/sub/file", root);
        nul[strlen(root)] = '\0';
        path_check(rules, nul, (size_t)n, PATH_READ, &d);
        tap_ok(!d.allow, "a raw NUL byte inside the JSON string is denied (%s)", d.reason);

        char *huge = malloc(4 * PATH_MAX);
        memset(huge, 'a', 4 * PATH_MAX - 1);
        huge[4 * PATH_MAX - 1] = '\0';
        d = check(huge, PATH_READ);
        tap_ok(!d.allow, "an over-long path is denied");
        free(huge);
}

static void argument_rows(void)
{
        char args[4 * PATH_MAX];
        struct rule_decision d;
        json_t *map = json_pack("{s:s, s:s}", "/path", "read", "/paths/*", "write");

        snprintf(args, sizeof(args), "{\"path\": \"%s/sub/file\", \"paths\": [\"%s/rw/a\", "
                 "\"%s/rw/b\"]}", root, root, root);
        json_t *a = json_loads(args, 0, NULL);
        path_check_arguments(rules, map, "/mcp/tools/t/paths", a, &d);
        tap_ok(d.allow, "arguments: a read path and an array of write paths allowed");
        tap_is_str(d.rule, "/mcp/tools/t/paths", "  ... rule is the tool's paths map");
        json_decref(a);

        snprintf(args, sizeof(args), "{\"path\": \"%s/sub/file\", \"paths\": [\"%s/rw/a\", "
                 "\"/etc/passwd\", \"%s/rw/b\"]}", root, root, root);
        a = json_loads(args, 0, NULL);
        path_check_arguments(rules, map, "/mcp/tools/t/paths", a, &d);
        tap_ok(!d.allow, "arguments: an array with one bad path is denied (%s)", d.reason);
        json_decref(a);

        a = json_pack("{s:[]}", "paths");
        path_check_arguments(rules, map, "/mcp/tools/t/paths", a, &d);
        tap_ok(d.allow, "arguments: absent optional path and an empty array are fine");
        json_decref(a);

        a = json_pack("{s:i}", "path", 5);
        path_check_arguments(rules, map, "/mcp/tools/t/paths", a, &d);
        tap_ok(!d.allow, "arguments: a number where a path is named is denied");
        tap_is_str(d.rule, "/mcp/tools/t/paths/~1path", "  ... rule names the map entry");
        json_decref(a);

        a = json_pack("{s:s}", "paths", "/etc/passwd");
        path_check_arguments(rules, map, "/mcp/tools/t/paths", a, &d);
        tap_ok(!d.allow, "arguments: a string where an array of paths is named is denied");
        json_decref(a);

        a = json_pack("{s:[i]}", "paths", 1);
        path_check_arguments(rules, map, "/mcp/tools/t/paths", a, &d);
        tap_ok(!d.allow, "arguments: a non-string array element is denied");
        json_decref(a);

        a = json_pack("{s:{s:s}}", "path", "nested", "/etc");
        path_check_arguments(rules, map, "/mcp/tools/t/paths", a, &d);
        tap_ok(!d.allow, "arguments: an object where a path is named is denied");
        json_decref(a);
        json_decref(map);

        map = json_pack("{s:s}", "/opts/target", "read");
        a = json_pack("{s:s}", "opts", "scalar");
        path_check_arguments(rules, map, "/mcp/tools/t/paths", a, &d);
        tap_ok(!d.allow, "arguments: a pointer through a scalar is denied");
        json_decref(a);
        json_decref(map);
}

static void compile_rows(void)
{
        struct mc_error err = { 0 };
        struct path_rules *r = NULL;
        json_t *j = json_pack("{s:[s]}", "read", "relative/root");
        tap_ok(path_rules_compile(j, "/", &r, &err) == -EINVAL, "a relative root is refused");
        tap_ok(strstr(err.msg, "/mcp/paths/read/0") != NULL, "  ... naming its pointer (%s)",
               err.msg);
        json_decref(j);
        tap_ok(path_rules_compile(NULL, "relative", &r, &err) == -EINVAL,
               "a relative workdir is refused");
        tap_ok(path_rules_compile(NULL, "/", &r, &err) == 0 && path_rules_empty(r),
               "no /mcp/paths compiles to no roots");
        struct rule_decision d;
        path_check(r, "/tmp", 4, PATH_READ, &d);
        tap_ok(!d.allow, "without roots every path is denied");
        path_rules_free(r);
}

static int count_fds(void)
{
        int n = 0;
        DIR *d = opendir("/proc/self/fd");
        while (d && readdir(d))
                n++;
        if (d)
                closedir(d);
        return n;
}

/* The checks' O_PATH descriptors are closed in batches (a run of consecutive numbers by one
 * close_range): never more than a batch held, never a descriptor someone else opened in
 * between closed, none left once the rules are freed. */
static void descriptor_rows(void)
{
        static const int at[] = { 3, 8, 13, 21, 29, 40 };  /* some land among held numbers */
        int before = count_fds(), most = before, foreign[6], n_foreign = 0;
        bool open_still = true;
        for (int i = 0; i < 100; i++) {
                if (n_foreign < 6 && i == at[n_foreign])
                        foreign[n_foreign++] = open("/dev/null", O_RDONLY | O_CLOEXEC);
                expect_quiet(true, PATH_READ, i % 2 ? "%s/sub/file" : "%s/rw");
                int now = count_fds();
                most = now > most ? now : most;
        }
        for (int k = 0; k < n_foreign; k++) {
                open_still = open_still && foreign[k] >= 0 && fcntl(foreign[k], F_GETFD) >= 0;
                if (foreign[k] >= 0)
                        close(foreign[k]);
        }
        tap_ok(open_still, "descriptors opened between checks are all still open after 100 checks");
        path_rules_free(rules);
        rules = NULL;
        int after = count_fds();
        tap_ok(after <= before, "none left once the rules are freed (%d, were %d)", after, before);
        tap_ok(most - after <= 16 + 6, "at most a batch of 16 held, besides the six opened here (%d)",
               most - after);
}

int main(void)
{
        make_tree();
        compile();
        threat_rows();
        edge_rows();
        argument_rows();
        compile_rows();
        descriptor_rows();
        remove_tree();
        return tap_done();
}
