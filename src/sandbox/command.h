/* Which program runs (policy.md command.*). The executable is found on the server's own
 * PATH before launch, so the file that command.allow and command.sha256 check is the file
 * that is executed: the child execve()s the resolved path and never searches again. */
#pragma once

#include "policy/policy.h"
#include "util/error.h"

/* argv0 as execvp() would find it on PATH (the server's PATH, from envp). A name with a '/'
 * is taken as it is (made absolute against the current directory). -ENOENT when nothing is
 * found, -EACCES when only non-executable candidates were. *path is absolute (caller frees). */
int command_resolve(const char *argv0, char *const *envp, char **path, struct mc_error *err);

/* command.allow (the resolved executable, symlinks followed, must be one of the entries,
 * also resolved) and command.sha256 (each named file hashes to its value). -EPERM with
 * the reason when refused. */
int command_check(const struct policy *p, const char *exe, struct mc_error *err);

/* Lower-case hex SHA-256 of a file's content (65 bytes with the NUL). */
int command_sha256_file(const char *path, char hex[65], struct mc_error *err);
