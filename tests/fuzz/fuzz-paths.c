/* fuzz-paths: the path-argument checker (threats.md §2 "path args") against a real tree: a
 * read root with a write root inside it, deny-glob files, a symlink out of the root, one
 * back into it, a dangling one and a loop. "@@" in the input stands for the tree's base
 * directory, so absolute paths and file:// URIs can reach it; relative paths resolve
 * against the read root (filesystem.workdir).
 *
 * An allowed path is re-checked here: no NUL, valid UTF-8, no leading "~", and, when it is
 * a plain path that exists, what the kernel resolves it to lies under the root that grants
 * the mode and passes no denied name.
 *
 * Input: byte 0 bit 0 = write, bit 1 = the rest is a tools/call arguments object checked
 * with a fixed "paths" map ({"/path": read, "/paths/<star>": write}); else the rest is one
 * path argument. */
#include "fuzz.h"
#include "inspect/rules/paths.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[PATH_MAX], root[PATH_MAX + 16], rw[PATH_MAX + 16];
static struct path_rules *rules;
static json_t *paths_map;

static void make(const char *rel, const char *link_to)
{
        char *p = fuzz_path(base, rel);
        if (!link_to && rel[strlen(rel) - 1] == '/')
                FUZZ_CHECK(mkdir(p, 0700) == 0, "mkdir %s: %s", p, strerror(errno));
        else if (!link_to)
                fuzz_write_file(p, "x", 1);
        else
                FUZZ_CHECK(symlink(link_to, p) == 0, "symlink %s: %s", p, strerror(errno));
        free(p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        FUZZ_CHECK(realpath(fuzz_tempdir("paths"), base), "realpath: %s", strerror(errno));
        snprintf(root, sizeof(root), "%s/root", base);
        snprintf(rw, sizeof(rw), "%s/root/rw", base);
        const char *dirs[] = { "root/", "root/sub/", "root/rw/", "root/.git/", "rootx/", "outside/" };
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
                make(dirs[i], NULL);
        const char *files[] = { "root/sub/file", "root/sub/.env", "root/.git/config", "root/sub/key.pem",
                                "root/rw/out", "rootx/file", "outside/secret" };
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                make(files[i], NULL);
        char target[PATH_MAX + 32];
        snprintf(target, sizeof(target), "%s/outside", base);
        make("root/link", target);
        snprintf(target, sizeof(target), "%s/outside/created-by-write", base);
        make("root/rw/dangling", target);
        make("root/rw/inlink", "../sub");
        make("root/loop", "loop");

        char spec[4 * PATH_MAX];
        snprintf(spec, sizeof(spec), "{\"read\": [\"%s\"], \"write\": [\"%s/\"], \"deny\": "
                 "[\"**/.git\", \"**/.env\", \"**/*.pem\"]}", root, rw);
        json_error_t je;
        json_t *j = json_loads(spec, 0, &je);
        FUZZ_CHECK(j, "rule spec: %s", je.text);
        struct mc_error err = { 0 };
        FUZZ_CHECK(path_rules_compile(j, root, &rules, &err) == 0, "compile the path rules: %s", err.msg);
        json_decref(j);
        paths_map = json_pack("{s:s,s:s}", "/path", "read", "/paths/*", "write");
        FUZZ_CHECK(paths_map, "out of memory");
        return 0;
}

static bool under(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

static bool denied_name(const char *path)
{
        for (const char *c = path; (c = strchr(c, '/')); c++) {
                size_t n = strcspn(c + 1, "/");
                if ((n == 4 && !memcmp(c + 1, ".git", 4)) || (n == 4 && !memcmp(c + 1, ".env", 4)) ||
                    (n >= 4 && !memcmp(c + 1 + n - 4, ".pem", 4)))
                        return true;
        }
        return false;
}

static void check_allowed(const char *arg, size_t len, bool write)
{
        FUZZ_CHECK(!memchr(arg, '\0', len), "allowed a path with a NUL byte");
        json_t *utf8 = json_stringn(arg, len);
        FUZZ_CHECK(utf8, "allowed a path that is not UTF-8");
        json_decref(utf8);
        FUZZ_CHECK(arg[0] != '~', "allowed a path starting with ~");
        if (memchr(arg, '%', len) || !strncmp(arg, "file:", 5) || len >= PATH_MAX)
                return;
        char abs[2 * PATH_MAX + 2], real[PATH_MAX];
        snprintf(abs, sizeof(abs), "%s%s%s", arg[0] == '/' ? "" : root, arg[0] == '/' ? "" : "/", arg);
        if (!realpath(abs, real))
                return;
        FUZZ_CHECK(under(real, write ? rw : root), "allowed %s, which resolves to %s outside the %s root",
                   arg, real, write ? "write" : "read");
        FUZZ_CHECK(!denied_name(real + strlen(base)), "allowed %s, which resolves to the denied %s", arg, real);
}

/* "@@" -> the base directory. */
static char *expand(const uint8_t *data, size_t size, size_t *len)
{
        size_t bl = strlen(base), cap = size + 1, n = 0;
        for (size_t i = 0; i + 1 < size; i++)
                if (data[i] == '@' && data[i + 1] == '@')
                        cap += bl;
        char *out = malloc(cap);
        FUZZ_CHECK(out, "out of memory");
        for (size_t i = 0; i < size; i++) {
                if (i + 1 < size && data[i] == '@' && data[i + 1] == '@') {
                        memcpy(out + n, base, bl);
                        n += bl;
                        i++;
                } else {
                        out[n++] = (char)data[i];
                }
        }
        out[n] = '\0';
        *len = n;
        return out;
}

static void check_arguments(const char *s, size_t n)
{
        json_t *args = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);
        if (!args)
                return;
        struct rule_decision d;
        path_check_arguments(rules, paths_map, "/mcp/tools/t/paths", args, &d);
        FUZZ_CHECK(d.rule[0] == '/', "a decision without its rule");
        FUZZ_CHECK(d.allow ? !d.reason[0] : !!d.reason[0], "reason and verdict disagree");
        if (d.allow && json_is_object(args)) {
                json_t *p = json_object_get(args, "path"), *list = json_object_get(args, "paths"), *e;
                size_t i;
                FUZZ_CHECK(!p || json_is_string(p), "allowed a non-string /path");
                if (p)
                        check_allowed(json_string_value(p), json_string_length(p), false);
                FUZZ_CHECK(!list || json_is_array(list), "allowed a non-array /paths");
                json_array_foreach(list, i, e) {
                        FUZZ_CHECK(json_is_string(e), "allowed a non-string /paths element");
                        check_allowed(json_string_value(e), json_string_length(e), true);
                }
        }
        json_decref(args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        size_t n;
        char *s = expand(data + 1, size - 1, &n);
        bool write = data[0] & 1;
        if (data[0] & 2) {
                check_arguments(s, n);
        } else {
                struct rule_decision d;
                path_check(rules, s, n, write ? PATH_WRITE : PATH_READ, &d);
                FUZZ_CHECK(d.rule[0] == '/', "a decision without its rule");
                FUZZ_CHECK(d.allow ? !d.reason[0] : !!d.reason[0], "reason and verdict disagree");
                if (d.allow)
                        check_allowed(s, n, write);
        }
        free(s);
        return 0;
}
