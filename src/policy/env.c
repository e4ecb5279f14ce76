/* The variables and search path of a real run. HOME and USER come from the password
 * database (the environment only as a fallback when there is no entry): they are the
 * variables a ceiling may use, and a user must not move a ceiling's "${HOME}/projects" by
 * exporting HOME=/. The ceiling's location is compiled in; no environment variable moves
 * or disables it, or the ceiling would be one `export` away from meaningless. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "policy/policy.h"

/* XDG base directory values must be absolute; relative ones are ignored (XDG spec). */
static char *xdg_dir(const char *var, const char *home, const char *fallback)
{
        const char *v = getenv(var);
        char *out = NULL;
        if (v && v[0] == '/')
                return strdup(v);
        if (asprintf(&out, "%s/%s", home, fallback) < 0)
                return NULL;
        return out;
}

static int fill_user(struct policy_env *env, struct mc_error *err)
{
        uid_t uid = getuid();
        struct passwd *pw = getpwuid(uid);
        const char *home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : getenv("HOME");
        const char *user = pw ? pw->pw_name : getenv("USER");
        if (!home || home[0] != '/')
                return mc_error_set(err, ENOENT, "cannot determine the home directory of uid %u "
                                    "(no password entry and no absolute $HOME)", (unsigned)uid);
        env->home = strdup(home);
        env->user = strdup(user ? user : "");
        if (asprintf(&env->uid, "%u", (unsigned)uid) < 0)
                env->uid = NULL;
        return env->home && env->user && env->uid ? 0 : mc_error_set(err, ENOMEM, "out of memory");
}

int policy_env_from_process(struct policy_env *env, struct mc_error *err)
{
        memset(env, 0, sizeof(*env));
        int r = fill_user(env, err);
        if (r < 0) {
                policy_env_clear(env);
                return r;
        }
        env->cwd = getcwd(NULL, 0);
        if (!env->cwd) {
                r = mc_error_errno(err, errno, "cannot determine the current directory");
                policy_env_clear(env);
                return r;
        }
        const char *tmp = getenv("TMPDIR");
        env->tmpdir = strdup(tmp && tmp[0] == '/' ? tmp : "/tmp");
        env->xdg_config_home = xdg_dir("XDG_CONFIG_HOME", env->home, ".config");
        env->xdg_state_home = xdg_dir("XDG_STATE_HOME", env->home, ".local/state");
        env->xdg_cache_home = xdg_dir("XDG_CACHE_HOME", env->home, ".cache");
        const char *run = getenv("XDG_RUNTIME_DIR");
        if (run && run[0] == '/')
                env->xdg_runtime_dir = strdup(run);
        else if (asprintf(&env->xdg_runtime_dir, "/run/user/%s", env->uid) < 0)
                env->xdg_runtime_dir = NULL;
        if (env->xdg_config_home &&
            asprintf(&env->search_path[0], "%s/mcpcage/policies", env->xdg_config_home) < 0)
                env->search_path[0] = NULL;
        env->search_path[1] = strdup(MCPCAGE_SYSCONFDIR "/policies");
        env->search_path[2] = strdup(MCPCAGE_POLICY_DATADIR);
        env->search_path[3] = NULL;
        env->ceiling = strdup(MCPCAGE_SYSCONFDIR "/ceiling.json");
        if (!env->tmpdir || !env->xdg_config_home || !env->xdg_state_home || !env->xdg_cache_home ||
            !env->xdg_runtime_dir || !env->search_path[0] || !env->search_path[1] ||
            !env->search_path[2] || !env->ceiling) {
                policy_env_clear(env);
                return mc_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

void policy_env_clear(struct policy_env *env)
{
        char **fields[] = {
                &env->home, &env->user, &env->uid, &env->cwd, &env->tmpdir, &env->xdg_config_home,
                &env->xdg_state_home, &env->xdg_cache_home, &env->xdg_runtime_dir, &env->ceiling,
                &env->search_path[0], &env->search_path[1], &env->search_path[2], &env->search_path[3],
        };
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                free(*fields[i]);
                *fields[i] = NULL;
        }
}
