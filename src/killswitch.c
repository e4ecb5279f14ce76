/* `mcpcage kill on|off`: creates or removes the kill switch file named by the policy's
 * mcp.kill_switch (default ${XDG_RUNTIME_DIR}/mcpcage/kill). Every running mcpcage whose
 * policy names that file refuses each tools/call while it exists (the inspector stat()s it
 * per call), so one command stops every server of a desktop at once. */
#include "killswitch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exit_codes.h"
#include "policy/policy.h"
#include "util/cleanup.h"
#include "util/log.h"

/* The missing parents of path, 0700 (the runtime directory is private to the user). */
static int make_parents(char *path)
{
        for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                int r = mkdir(path, 0700);
                *s = '/';
                if (r < 0 && errno != EEXIST)
                        return -errno;
        }
        return 0;
}

static int switch_on(const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        if (!copy || make_parents(copy) < 0) {
                log_error("kill on: cannot create the directories of %s: %s", path, strerror(errno));
                return EXIT_MCPCAGE_ERROR;
        }
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                log_error("kill on: cannot create %s: %s", path, strerror(errno));
                return EXIT_MCPCAGE_ERROR;
        }
        printf("kill switch on: %s (every tools/call is refused until `mcpcage kill off`)\n", path);
        return 0;
}

static int switch_off(const char *path)
{
        if (unlink(path) < 0 && errno != ENOENT) {
                log_error("kill off: cannot remove %s: %s", path, strerror(errno));
                return EXIT_MCPCAGE_ERROR;
        }
        printf("kill switch off: %s\n", path);
        return 0;
}

int killswitch_cmd(int argc, char **argv, const char *policy)
{
        if (argc != 1 || (strcmp(argv[0], "on") && strcmp(argv[0], "off"))) {
                log_error("kill: expected 'on' or 'off' (see mcpcage --help)");
                return EXIT_MCPCAGE_ERROR;
        }
        struct mc_error err = { 0 };
        struct policy_env env = { 0 };
        struct policy *p = NULL;
        int rc = EXIT_MCPCAGE_ERROR;
        if (policy_env_from_process(&env, &err) < 0 || policy_load(policy, &env, &p, &err) < 0) {
                log_error("%s", err.msg);
        } else {
                const char *path = json_string_value(policy_get(p, "/mcp/kill_switch"));
                if (!path || path[0] != '/')
                        log_error("kill: policy %s names no absolute mcp.kill_switch path", p->path);
                else
                        rc = !strcmp(argv[0], "on") ? switch_on(path) : switch_off(path);
        }
        policy_free(p);
        policy_env_clear(&env);
        return rc;
}
