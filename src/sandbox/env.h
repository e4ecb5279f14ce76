/* The server's environment (policy.md env.*): only the host variables env.pass names, then
 * env.set, then the secrets of env.from_file. Host environments carry tokens (threats.md §1
 * "read the host environment"), so nothing passes by default that the list does not name. */
#pragma once

#include "policy/policy.h"
#include "sandbox/strlist.h"
#include "util/error.h"

#define ENV_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define ENV_SECRET_MAX (64 * 1024)

/* host: the environment to filter (NULL-terminated "NAME=value"). out receives the
 * server's environment; secrets (may be NULL) receives the env.from_file values so the
 * inspector can redact them. Errors name the variable and the file, never the value. */
int env_build(const struct policy *p, char *const *host, struct strlist *out,
              struct strlist *secrets, struct mc_error *err);

/* Reads one env.from_file secret: a regular file neither group- nor world-readable, at most
 * ENV_SECRET_MAX bytes, no NUL; one trailing newline is dropped. */
int env_read_secret(const char *path, char **value, struct mc_error *err);

/* The value of NAME in a NULL-terminated environment, or NULL. */
const char *env_lookup(char *const *envp, const char *name);
