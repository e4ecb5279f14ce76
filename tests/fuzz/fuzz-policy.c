/* fuzz-policy: the policy loader on a file whose bytes are the input, as `mcpcage --policy
 * FILE` reads it (threats.md §4: every parser has a fuzz target). The file is loaded on
 * its own, again under a system ceiling with command-line additions, and as the parent of
 * a fixed child policy (extends: ["fuzz"]); it may itself extend the fixed "base" or the
 * built-in "default". Whatever the bytes, each load either succeeds with a complete
 * effective policy or fails with a message and no policy. */
#include "fuzz.h"
#include "policy/policy.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static struct policy_env env, env_ceiling;
static char *fuzz_file;

static void fill_env(struct policy_env *e, const char *tmp, const char *ceiling)
{
        memset(e, 0, sizeof(*e));
        e->home = fuzz_path(tmp, "home");
        e->user = strdup("fuzz");
        e->uid = strdup("1000");
        e->cwd = fuzz_path(tmp, "home/work");
        e->tmpdir = strdup(tmp);
        e->xdg_config_home = fuzz_path(tmp, "home/.config");
        e->xdg_state_home = fuzz_path(tmp, "home/.local/state");
        e->xdg_cache_home = fuzz_path(tmp, "home/.cache");
        e->xdg_runtime_dir = fuzz_path(tmp, "run");
        e->search_path[0] = strdup(tmp);
        e->search_path[1] = fuzz_fixture("policies");
        e->ceiling = ceiling ? fuzz_fixture(ceiling) : NULL;
        FUZZ_CHECK(e->user && e->uid && e->tmpdir && e->search_path[0], "out of memory");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        const char *tmp = fuzz_tempdir("policy");
        fill_env(&env, tmp, NULL);
        fill_env(&env_ceiling, tmp, "policies/ceiling.json");
        fuzz_file = fuzz_path(tmp, "fuzz.json");
        return 0;
}

static void check_loaded(int r, struct policy *p, const struct mc_error *err, const char *what)
{
        if (r < 0) {
                FUZZ_CHECK(!p, "%s: failed (%d) but returned a policy", what, r);
                FUZZ_CHECK(err->msg[0] && strnlen(err->msg, sizeof(err->msg)) < sizeof(err->msg),
                           "%s: failed (%d) without a message", what, r);
                return;
        }
        FUZZ_CHECK(r == 0 && p && json_is_object(p->root), "%s: returned %d without an object", what, r);
        FUZZ_CHECK(strlen(p->sha256) == 64 && strspn(p->sha256, "0123456789abcdef") == 64,
                   "%s: sha256 \"%s\"", what, p->sha256);
        FUZZ_CHECK(p->name && p->path, "%s: no name or path", what);
        json_t *version = policy_get(p, "/version");
        FUZZ_CHECK(json_is_integer(version) && json_integer_value(version) == 1, "%s: no version 1", what);
        /* defaults are filled in: consumers never check for presence */
        FUZZ_CHECK(json_is_object(policy_get(p, "/mcp")) && json_is_object(policy_get(p, "/filesystem")),
                   "%s: effective policy without /mcp or /filesystem", what);
}

static void load(const char *ref, const struct policy_env *e, bool with_cli, const char *what)
{
        struct policy *p = NULL;
        struct mc_error err = { 0 };
        int r = policy_load(ref, e, &p, &err);
        check_loaded(r, p, &err, what);
        if (r == 0 && with_cli) {
                char *ro = fuzz_path(e->home, "projects/docs");
                const char *ros[] = { ro };
                const char *grants[] = { "files:write" };
                struct policy_cli cli = { .ro = ros, .n_ro = 1, .grant = grants, .n_grant = 1 };
                mc_error_clear(&err);
                r = policy_apply_cli(p, &cli, e, &err);
                FUZZ_CHECK(r == 0 || err.msg[0], "%s + cli: failed (%d) without a message", what, r);
                if (r == 0)
                        check_loaded(0, p, &err, what);
                free(ro);
        }
        policy_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        fuzz_write_file(fuzz_file, data, size);
        load(fuzz_file, &env, false, "the fuzzed file");
        load(fuzz_file, &env_ceiling, true, "the fuzzed file under the ceiling");
        load("child", &env, false, "a child extending it");
        return 0;
}
