#include "sandbox/command.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/env.h"
#include "util/cleanup.h"
#include "util/hex.h"
#include "util/sha256.h"

static bool is_executable_file(const char *path, int *why)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                *why = errno;
                return false;
        }
        if (!S_ISREG(st.st_mode)) {
                *why = EACCES;
                return false;
        }
        if (access(path, X_OK) < 0) {
                *why = errno;
                return false;
        }
        return true;
}

static int absolute(const char *argv0, char **path, struct mc_error *err)
{
        if (argv0[0] == '/') {
                *path = strdup(argv0);
        } else {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);
                if (!cwd)
                        return mc_error_errno(err, errno, "getcwd");
                if (asprintf(path, "%s/%s", cwd, argv0) < 0)
                        *path = NULL;
        }
        return *path ? 0 : mc_error_set(err, ENOMEM, "out of memory");
}

int command_resolve(const char *argv0, char *const *envp, char **path, struct mc_error *err)
{
        if (!argv0 || !*argv0)
                return mc_error_set(err, ENOENT, "empty command name");
        if (strchr(argv0, '/')) {
                int r = absolute(argv0, path, err);
                if (r < 0)
                        return r;
                int why = 0;
                if (!is_executable_file(*path, &why)) {
                        free(*path);
                        *path = NULL;
                        return mc_error_errno(err, why, "%s", argv0);
                }
                return 0;
        }
        const char *search = env_lookup(envp, "PATH");
        if (!search)
                search = ENV_DEFAULT_PATH;
        int seen = ENOENT;
        for (const char *p = search;; ) {
                size_t n = strcspn(p, ":");
                char cand[PATH_MAX];
                /* An empty PATH element means the current directory, as in execvp(). */
                int len = n ? snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, p, argv0)
                            : snprintf(cand, sizeof(cand), "%s", argv0);
                int why = ENOENT;
                struct stat st;
                if (len > 0 && (size_t)len < sizeof(cand)) {
                        if (is_executable_file(cand, &why))
                                return absolute(cand, path, err);
                        /* Only a file that is there but not runnable is 126; a PATH entry
                         * this user cannot search is simply not where the command is. */
                        if (why == EACCES && stat(cand, &st) == 0)
                                seen = EACCES;
                }
                if (!p[n])
                        break;
                p += n + 1;
        }
        return mc_error_errno(err, seen, "%s", argv0);
}

int command_sha256_file(const char *path, char hex[65], struct mc_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return mc_error_errno(err, errno, "%s", path);
        struct sha256 ctx;
        sha256_init(&ctx);
        unsigned char block[65536];
        for (;;) {
                ssize_t n = read(fd, block, sizeof(block));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        explicit_bzero(&ctx, sizeof(ctx));
                        return mc_error_errno(err, errno, "%s", path);
                }
                if (n == 0)
                        break;
                sha256_update(&ctx, block, (size_t)n);
        }
        unsigned char md[SHA256_LEN];
        sha256_final(&ctx, md);
        hex_encode(hex, md, SHA256_LEN);
        return 0;
}

static int check_allow(json_t *allow, const char *exe, struct mc_error *err)
{
        if (json_array_size(allow) == 0)
                return 0;
        char real[PATH_MAX];
        if (!realpath(exe, real))
                return mc_error_errno(err, errno, "command.allow: resolving %s", exe);
        size_t i;
        json_t *e;
        json_array_foreach(allow, i, e) {
                char want[PATH_MAX];
                if (realpath(json_string_value(e), want) && !strcmp(want, real))
                        return 0;
        }
        return mc_error_set(err, EPERM, "command.allow: %s%s%s is not one of the allowed "
                            "executables; add it to command.allow to run it", exe,
                            strcmp(exe, real) ? " -> " : "", strcmp(exe, real) ? real : "");
}

int command_check(const struct policy *p, const char *exe, struct mc_error *err)
{
        json_t *cmd = json_object_get(p->root, "command");
        int r = check_allow(json_object_get(cmd, "allow"), exe, err);
        if (r < 0)
                return r;
        const char *file;
        json_t *want;
        json_object_foreach(json_object_get(cmd, "sha256"), file, want) {
                char got[65];
                r = command_sha256_file(file, got, err);
                if (r < 0)
                        return mc_error_prefix(err, "command.sha256");
                if (strcasecmp(got, json_string_value(want)))
                        return mc_error_set(err, EPERM, "command.sha256: %s hashes to %s, the "
                                            "policy expects %s; the file changed since the policy "
                                            "was written", file, got, json_string_value(want));
        }
        return 0;
}
