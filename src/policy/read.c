/* One policy file to one jansson tree. Duplicate keys are refused (the second "deny" of a
 * hand-edited policy must not silently replace the first), syntax errors carry line and
 * column, and the ceiling is checked for ownership on the descriptor it is read from so
 * that a swap between check and read (TOCTOU) cannot slip a user file in. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/policy-internal.h"
#include "util/cleanup.h"

static int check_owner(const char *path, const struct stat *st, struct mc_error *err)
{
        /* A ceiling that its user could edit would be no ceiling at all. */
        if (st->st_uid != 0)
                return mc_error_set(err, EPERM, "%s: the ceiling must be owned by root", path);
        if (st->st_mode & (S_IWGRP | S_IWOTH))
                return mc_error_set(err, EPERM,
                                    "%s: the ceiling must not be writable by group or others", path);
        return 0;
}

int policy_read_file(const char *path, bool root_owned, json_t **out, struct mc_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return mc_error_errno(err, errno, "%s: cannot open", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return mc_error_errno(err, errno, "%s: cannot stat", path);
        if (!S_ISREG(st.st_mode))
                return mc_error_set(err, EINVAL, "%s: not a regular file", path);
        if (root_owned) {
                int r = check_owner(path, &st, err);
                if (r < 0)
                        return r;
        }
        _cleanup_fclose_ FILE *f = fdopen(fd, "r");
        if (!f)
                return mc_error_errno(err, errno, "%s: cannot open", path);
        TAKE_FD(fd);
        json_error_t jerr;
        json_t *tree = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
        if (!tree)
                return mc_error_set(err, EINVAL, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                                    jerr.text);
        if (!json_is_object(tree)) {
                json_decref(tree);
                return mc_error_set(err, EINVAL, "%s: /: expected an object", path);
        }
        *out = tree;
        return 0;
}

int policy_read_builtin(json_t **out, struct mc_error *err)
{
        json_error_t jerr;
        json_t *tree = json_loads(policy_builtin_default_json, JSON_REJECT_DUPLICATES, &jerr);
        if (!tree)
                return mc_error_set(err, EINVAL, "%s:%d:%d: %s", POLICY_BUILTIN_PATH, jerr.line,
                                    jerr.column, jerr.text);
        *out = tree;
        return 0;
}
