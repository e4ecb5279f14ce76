/* Commands and policies as the desktop app will see them. The app starts servers with a
 * PATH of its own (often without ~/.nvm, ~/.local/bin, /opt/homebrew/bin), so a bare
 * "npx" that works in the user's shell is not found there: wrap resolves it now, on the
 * PATH of the user running wrap, and writes the absolute path. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "wrap/wrap-internal.h"

static bool executable_file(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int wrap_resolve_command(const char *name, const char *path, char **out, struct mc_error *err)
{
        *out = NULL;
        if (!name[0] || strchr(name, '/'))
                return mc_error_set(err, EINVAL, "\"%s\" is not a bare command name", name);
        _cleanup_free_ char *dirs = strdup(path ? path : "");
        if (!dirs)
                return mc_error_set(err, ENOMEM, "out of memory");
        char *save = NULL;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                if (d[0] != '/')
                        continue;
                _cleanup_free_ char *candidate = NULL;
                if (asprintf(&candidate, "%s/%s", d, name) < 0)
                        return mc_error_set(err, ENOMEM, "out of memory");
                if (executable_file(candidate)) {
                        *out = TAKE_PTR(candidate);
                        return 0;
                }
        }
        return mc_error_set(err, ENOENT, "%s: not found on PATH", name);
}

/* The policy layer's rule for names (policy_name_valid): a name is a plain file name. */
static bool valid_name(const char *name)
{
        if (!name[0] || name[0] == '.')
                return false;
        return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
               == strlen(name);
}

bool wrap_policy_exists(const char *name, char *const *dirs)
{
        if (!strcmp(name, "default"))
                return true;
        if (!valid_name(name))
                return false;
        for (size_t i = 0; dirs && dirs[i]; i++) {
                _cleanup_free_ char *candidate = NULL;
                if (asprintf(&candidate, "%s/%s.json", dirs[i], name) < 0)
                        return false;
                if (access(candidate, R_OK) == 0)
                        return true;
        }
        return false;
}

static bool is_path_ref(const char *ref)
{
        size_t n = strlen(ref);
        return strchr(ref, '/') || (n >= 5 && !strcmp(ref + n - 5, ".json"));
}

int wrap_policy_ref(const char *ref, char *const *dirs, char **out, struct mc_error *err)
{
        *out = NULL;
        if (!ref[0])
                return mc_error_set(err, EINVAL, "empty policy name");
        if (is_path_ref(ref)) {
                *out = realpath(ref, NULL);
                return *out ? 0 : mc_error_errno(err, errno, "policy %s", ref);
        }
        if (!wrap_policy_exists(ref, dirs))
                return mc_error_set(err, ENOENT, "policy \"%s\" not found on the search path "
                                    "(see mcpcage policy list)", ref);
        *out = strdup(ref);
        return *out ? 0 : mc_error_set(err, ENOMEM, "out of memory");
}
