/* The sandbox layer's parent-side decisions: path resolution, the mount plan (order,
 * pruning, optional and missing paths, links, masks), the environment, the executable
 * checks, the rlimits and the Landlock fallback's rules. Nothing here starts a process;
 * test-sandbox-launch.c does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "policy/policy.h"
#include "sandbox/command.h"
#include "sandbox/env.h"
#include "sandbox/fallback.h"
#include "sandbox/landlock.h"
#include "sandbox/launch.h"
#include "sandbox/mountplan.h"
#include "sandbox/resolve.h"
#include "sandbox/rlimits.h"

static char dir[256];
static struct policy_env penv;

static void write_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0 || write(fd, text, strlen(text)) < 0) {
                perror(path);
                exit(2);
        }
        fchmod(fd, mode);
        close(fd);
}

static void link_or_die(const char *target, const char *path)
{
        if (symlink(target, path) < 0) {
                perror(path);
                exit(2);
        }
}

static char *at(const char *rel)
{
        static char bufs[8][512];
        static int i;
        char *b = bufs[i++ % 8];
        snprintf(b, 512, "%s/%s", dir, rel);
        return b;
}

/* The policy text with @ replaced by the test directory. */
static struct policy *load(const char *text)
{
        char body[8192], *o = body;
        for (const char *p = text; *p && o < body + sizeof(body) - 300; p++) {
                if (*p == '@')
                        o += sprintf(o, "%s", dir);
                else
                        *o++ = *p;
        }
        *o = '\0';
        write_file(at("policy.json"), body, 0600);
        struct policy *p = NULL;
        struct mc_error err = { 0 };
        if (policy_load(at("policy.json"), &penv, &p, &err) < 0) {
                printf("# policy: %s\n", err.msg);
                return NULL;
        }
        return p;
}

static const struct mount_op *find_op(const struct mount_plan *m, const char *target)
{
        for (size_t i = 0; i < m->n; i++)
                if (!strcmp(m->ops[i].target, target))
                        return &m->ops[i];
        return NULL;
}

static ssize_t op_index(const struct mount_plan *m, const char *target)
{
        const struct mount_op *op = find_op(m, target);
        return op ? op - m->ops : -1;
}

static void test_resolve(void)
{
        mkdir(at("real"), 0755);
        mkdir(at("real/sub"), 0755);
        link_or_die("real", at("rel-link"));
        link_or_die(at("rel-link"), at("abs-link"));
        struct resolved r;
        struct mc_error err = { 0 };
        tap_ok(resolve_path(at("abs-link/sub"), &r, &err) == 0 && r.exists, "resolve: a chain of links exists");
        tap_is_str(r.real, at("real/sub"), "resolve: the real path");
        tap_ok(r.n_links == 2 && !strcmp(r.links[0].at, at("abs-link")) && !strcmp(r.links[1].text, "real"),
               "resolve: both links recorded where they are");
        resolved_clear(&r);
        tap_ok(resolve_path(at("rel-link/missing/x"), &r, &err) == 0 && !r.exists, "resolve: missing is not an error");
        tap_is_str(r.real, at("real/missing/x"), "resolve: the lexical rest past the missing part");
        resolved_clear(&r);
        link_or_die("loop", at("loop"));
        tap_ok(resolve_path(at("loop"), &r, &err) == -ELOOP, "resolve: a loop is ELOOP");
        tap_ok(path_depth("/") == 0 && path_depth("/a") == 1 && path_depth("/a/b/c") == 3, "path_depth");
        tap_ok(path_under("/a/b", "/a") && !path_under("/ab", "/a") && path_under("/x", "/"), "path_under");
}

static void test_plan_empty(void)
{
        mkdir(at("ro"), 0755);
        mkdir(at("ro/inner"), 0755);
        mkdir(at("rw"), 0755);
        mkdir(at("secret"), 0755);
        write_file(at("ro/file"), "x", 0644);
        write_file(at("ro/.env"), "x", 0644);
        link_or_die("ro", at("ro-link"));
        struct policy *p = load("{\"version\":1, \"filesystem\":{\"root\":\"empty\","
                "\"read_only\":[\"/usr\", \"@/ro\", \"@/ro/inner\", \"?@/nope\", \"@/ro-link\"],"
                "\"read_write\":[\"@/rw\"], \"tmpfs\":[\"/tmp\", \"@/rw/cache\"],"
                "\"mask\":[\"@/ro/.env\", \"@/secret\"], \"workdir\":\"@/rw\"}}");
        struct identity id = { .run_uid = 1000, .run_gid = 1000 };
        struct mount_plan m;
        struct mc_error err = { 0 };
        if (!tap_ok(p && mount_plan_build(p, &id, NULL, &m, &err) == 0, "plan (empty root) builds")) {
                printf("# %s\n", err.msg);
                policy_free(p);
                return;
        }
        tap_ok(m.ops[0].kind == MOUNT_EMPTY_ROOT && !m.host_root, "root: an empty tmpfs first");
        tap_ok(find_op(&m, "/proc") && find_op(&m, "/dev"), "fresh /proc and minimal /dev in every view");
        tap_ok(find_op(&m, at("ro")) && find_op(&m, at("ro"))->kind == MOUNT_BIND_RO, "read_only is a read-only bind");
        tap_ok(!find_op(&m, at("ro/inner")), "a read_only path inside a read_only bind is pruned");
        tap_ok(find_op(&m, at("rw")) && find_op(&m, at("rw"))->kind == MOUNT_BIND_RW, "read_write is a read-write bind");
        tap_ok(op_index(&m, at("rw")) < op_index(&m, at("rw/cache")), "parents first: the tmpfs inside the bind after it");
        tap_ok(find_op(&m, at("ro/.env")) && find_op(&m, at("ro/.env"))->kind == MOUNT_MASK_FILE, "a masked file");
        bool noted = false;
        for (size_t i = 0; i < m.notes.n; i++)
                noted |= strstr(m.notes.v[i], "nope") != NULL;
        tap_ok(noted, "an optional missing path is skipped with a note");
        tap_ok(!find_op(&m, at("secret")), "a mask outside the view is a no-op");
        const struct mount_op *link = find_op(&m, at("ro-link"));
        tap_ok(link && link->kind == MOUNT_SYMLINK && !strcmp(link->source, "ro"), "a listed link is recreated inside");
        tap_is_str(m.workdir, at("rw"), "workdir inside the view");
        unsigned last = 0;
        bool sorted = true;
        for (size_t i = 1; i < m.n; i++) {
                sorted &= path_depth(m.ops[i].target) >= last;
                last = path_depth(m.ops[i].target);
        }
        tap_ok(sorted, "operations sorted by depth");
        mount_plan_clear(&m);
        policy_free(p);

        p = load("{\"version\":1, \"filesystem\":{\"root\":\"empty\", \"read_only\":[\"@/does-not-exist\"]}}");
        int r = p ? mount_plan_build(p, &id, NULL, &m, &err) : 0;
        tap_ok(r == -ENOENT && strstr(err.msg, "does-not-exist") && strstr(err.msg, "/filesystem/read_only/0") &&
               strstr(err.msg, "?"), "a missing path is an error naming the path, the key and the fix");
        printf("# %s\n", err.msg);
        policy_free(p);
        p = load("{\"version\":1, \"filesystem\":{\"root\":\"empty\", \"tmpfs\":[\"/proc\"]}}");
        r = p ? mount_plan_build(p, &id, NULL, &m, &err) : 0;
        tap_ok(r == -EINVAL && strstr(err.msg, "/proc"), "/proc cannot be replaced");
        policy_free(p);
}

static void test_plan_host(void)
{
        mkdir(at("home"), 0700);
        mkdir(at("home/project"), 0755);
        struct policy *p = load("{\"version\":1, \"filesystem\":{\"root\":\"host\", \"read_only\":[\"/usr\"],"
                                "\"read_write\":[\"@/home/project\"], \"tmpfs\":[\"/tmp\"]}}");
        struct identity id = { .run_uid = 1000, .run_gid = 1000 };
        char *home[] = { at("home"), NULL };
        struct mount_plan m;
        struct mc_error err = { 0 };
        if (!tap_ok(p && mount_plan_build(p, &id, home, &m, &err) == 0, "plan (host root) builds")) {
                printf("# %s\n", err.msg);
                policy_free(p);
                return;
        }
        tap_ok(m.ops[0].kind == MOUNT_HOST_ROOT, "root: the host's, read-only");
        const struct mount_op *h = find_op(&m, at("home"));
        tap_ok(h && h->kind == MOUNT_TMPFS && strstr(h->data, "uid=1000"), "$HOME hidden by a tmpfs the server owns");
        tap_ok(find_op(&m, "/run") && find_op(&m, "/run")->kind == MOUNT_TMPFS, "/run (host sockets) hidden");
        tap_ok(!find_op(&m, "/usr"), "read_only under the host root is pruned");
        tap_ok(op_index(&m, at("home")) < op_index(&m, at("home/project")), "the project is bound into the hidden home");
        tap_ok(mount_plan_visible(&m, at("home/project")) && mount_plan_visible(&m, at("home")) &&
               !mount_plan_visible(&m, at("home/other")), "visibility: the project and the (empty) home, nothing else in it");
        tap_ok(!mount_plan_visible(&m, "/run/user"), "visibility: nothing below /run");
        mount_plan_clear(&m);
        policy_free(p);
}

static void test_env(void)
{
        write_file(at("token"), "s3cr3t-value\n", 0600);
        write_file(at("leaky"), "leaked\n", 0644);
        struct policy *p = load("{\"version\":1, \"env\":{\"pass\":[\"HOME\", \"LC_*\"], \"set\":{\"NODE_ENV\":\"production\", \"HOME\":\"/srv\"},"
                                "\"from_file\":{\"TOKEN\":\"@/token\"}}}");
        char h0[] = "HOME=/root", h1[] = "LC_ALL=C", h2[] = "LC_TIME=x", h3[] = "AWS_SECRET_ACCESS_KEY=nope",
             h4[] = "PATHX=1", h5[] = "HOME=/dup";
        char *host[] = { h0, h1, h2, h3, h4, h5, NULL };
        struct strlist out = { 0 }, secrets = { 0 };
        struct mc_error err = { 0 };
        if (!tap_ok(p && env_build(p, host, &out, &secrets, &err) == 0, "env builds")) {
                printf("# %s\n", err.msg);
                policy_free(p);
                return;
        }
        tap_is_str(env_lookup(out.v, "HOME"), "/srv", "env.set overrides a passed variable");
        tap_is_str(env_lookup(out.v, "LC_TIME"), "x", "globs pass");
        tap_ok(!env_lookup(out.v, "AWS_SECRET_ACCESS_KEY") && !env_lookup(out.v, "PATHX"), "unlisted variables are dropped");
        tap_is_str(env_lookup(out.v, "PATH"), ENV_DEFAULT_PATH, "PATH falls back to a safe default");
        tap_is_str(env_lookup(out.v, "TOKEN"), "s3cr3t-value", "env.from_file, trailing newline dropped");
        tap_ok(secrets.n == 1 && !strcmp(secrets.v[0], "s3cr3t-value"), "the secret goes to the redaction set");
        strlist_free(&out);
        strlist_free(&secrets);
        policy_free(p);
        p = load("{\"version\":1, \"env\":{\"from_file\":{\"LEAK\":\"@/leaky\"}}}");
        int r = p ? env_build(p, host, &out, NULL, &err) : 0;
        tap_ok(r == -EPERM && strstr(err.msg, "LEAK") && strstr(err.msg, "leaky") && !strstr(err.msg, "leaked"),
               "a group/world-readable secret file is refused, the value never printed");
        printf("# %s\n", err.msg);
        strlist_free(&out);
        policy_free(p);
}

static void test_command(void)
{
        char e0[] = "PATH=/nonexistent:/bin:/usr/bin";
        char *env[] = { e0, NULL };
        char *path = NULL;
        struct mc_error err = { 0 };
        tap_ok(command_resolve("sh", env, &path, &err) == 0 && path && path[0] == '/', "found on the server's PATH");
        free(path);
        path = NULL;
        tap_ok(command_resolve("no-such-command-xyz", env, &path, &err) == -ENOENT, "not found: ENOENT (127)");
        write_file(at("noexec"), "#!/bin/sh\n", 0644);
        tap_ok(command_resolve(at("noexec"), env, &path, &err) == -EACCES, "not executable: EACCES (126)");
        write_file(at("tool"), "#!/bin/sh\necho hi\n", 0755);
        char hex[65];
        command_sha256_file(at("tool"), hex, &err);
        char text[1024];
        snprintf(text, sizeof(text), "{\"version\":1, \"command\":{\"allow\":[\"@/tool\"], \"sha256\":{\"@/tool\":\"%s\"}}}", hex);
        struct policy *p = load(text);
        tap_ok(p && command_check(p, at("tool"), &err) == 0, "command.allow and sha256 accept the right file");
        tap_ok(p && command_check(p, "/bin/sh", &err) == -EPERM && strstr(err.msg, "command.allow"),
               "command.allow refuses another executable");
        policy_free(p);
        snprintf(text, sizeof(text), "{\"version\":1, \"command\":{\"sha256\":{\"@/tool\":\"%064d\"}}}", 0);
        p = load(text);
        tap_ok(p && command_check(p, at("tool"), &err) == -EPERM && strstr(err.msg, hex), "a changed file fails command.sha256");
        policy_free(p);
}

static void test_rlimits(void)
{
        struct policy *p = load("{\"version\":1, \"limits\":{\"open_files\":64, \"file_size\":\"1M\"}}");
        struct rlimits_plan r;
        struct mc_error err = { 0 };
        tap_ok(p && rlimits_from_policy(p, &r, &err) == 0 && r.nofile_set && r.nofile == 64 && r.fsize_set &&
               r.fsize == 1048576, "open_files and file_size");
        policy_free(p);
}

static void test_fallback_rules(void)
{
        int abi = landlock_abi();
        if (abi < 1) {
                tap_skip("Landlock is not available", "fallback rules");
                return;
        }
        mkdir(at("fhome"), 0700);
        mkdir(at("fhome/proj"), 0755);
        struct policy *p = load("{\"version\":1, \"filesystem\":{\"root\":\"host\", \"read_write\":[\"@/fhome/proj\"]}}");
        char *home[] = { at("fhome"), NULL };
        struct landlock_plan plan = { .abi = abi };
        struct strlist degraded = { 0 };
        struct mc_error err = { 0 };
        if (!tap_ok(p && fallback_plan_build(p, home, &plan, &degraded, &err) == 0, "fallback rules build")) {
                printf("# %s\n", err.msg);
                policy_free(p);
                return;
        }
        bool home_granted = false, proj_rw = false, usr = false, root = false, dev = false, null = false;
        for (size_t i = 0; i < plan.n; i++) {
                dev |= !strcmp(plan.rules[i].path, "/dev");
                null |= !strcmp(plan.rules[i].path, "/dev/null");
                home_granted |= !strcmp(plan.rules[i].path, at("fhome"));
                proj_rw |= !strcmp(plan.rules[i].path, at("fhome/proj")) && plan.rules[i].grant == LANDLOCK_READ_WRITE;
                usr |= !strcmp(plan.rules[i].path, "/usr");
                root |= !strcmp(plan.rules[i].path, "/");
        }
        tap_ok(!root && usr, "root host: / is granted sibling by sibling, not as a whole");
        tap_ok(!home_granted && proj_rw, "the home is a hole; the read-write project inside it is granted");
        tap_ok(!dev && null, "not the host's /dev, only the devices a server needs");
        bool said_tmp = false;
        for (size_t i = 0; i < degraded.n; i++)
                said_tmp |= strstr(degraded.v[i], "/tmp") != NULL;
        tap_ok(said_tmp, "what the fallback cannot do is listed (no private /tmp)");
        int fd;
        tap_ok(landlock_ruleset_build(&plan, &fd, &err) == 0, "the ruleset builds");
        close(fd);
        landlock_plan_clear(&plan);
        strlist_free(&degraded);
        policy_free(p);
}

static void test_describe(void)
{
        mkdir(at("plant"), 0755);
        mkdir(at("plant/real"), 0755);
        link_or_die(at("ro"), at("plant/link"));
        struct policy *p = load("{\"version\":1, \"filesystem\":{\"root\":\"empty\", \"read_write\":[\"@/plant\"],"
                                "\"read_only\":[\"@/plant/link\"]}}");
        char a0[] = "/bin/true";
        char *argv[] = { a0, NULL };
        struct launch_config lc = { .argv = argv, .policy = p };
        struct mc_error err = { 0 };
        FILE *null = fopen("/dev/null", "w");
        tap_ok(p && sandbox_describe(&lc, null, &err) < 0 && strstr(err.msg, "planted"),
               "a listed path through a link inside a read-write path is refused");
        printf("# %s\n", err.msg);
        policy_free(p);
        p = load("{\"version\":1, \"filesystem\":{\"root\":\"empty\", \"read_only\":[\"@/ro\"]}}");
        lc.policy = p;
        char buf[8192] = "";
        FILE *mem = fmemopen(buf, sizeof(buf) - 1, "w");
        tap_ok(p && sandbox_describe(&lc, mem, &err) == 0, "--dry-run describes the sandbox");
        fclose(mem);
        tap_ok(strstr(buf, "mount plan") && strstr(buf, at("ro")) && strstr(buf, "bind, read-only"),
               "the mount plan names each path and what it becomes");
        fclose(null);
        policy_free(p);
}

int main(void)
{
        snprintf(dir, sizeof(dir), "/tmp/test-sandbox-XXXXXX");
        if (!mkdtemp(dir))
                return 2;
        struct mc_error err = { 0 };
        if (policy_env_from_process(&penv, &err) < 0) {
                printf("# %s\n", err.msg);
                return 2;
        }
        test_resolve();
        test_plan_empty();
        test_plan_host();
        test_env();
        test_command();
        test_rlimits();
        test_fallback_rules();
        test_describe();
        policy_env_clear(&penv);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                printf("# could not remove %s\n", dir);
        return tap_done();
}
