/* Starting the server confined. launch_child() prepares everything in mcpcage (policy
 * checks, paths, environment), clone()s with the namespaces the policy asks for (or, when
 * user namespaces are refused, falls back to Landlock), releases the child once its maps
 * are written, and reports how it went: a setup step that failed, execve()'s errno (127/126
 * as a shell), or success. The child's ordered steps are in enter.c, from sandbox_main(). */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <jansson.h>

#include "policy/policy.h"
#include "util/error.h"

struct violations;
struct netcgroup;
struct cgroup;

struct launch_config {
        char *const *argv;              /* argv[0] looked up on the server's PATH like execvp */
        const struct policy *policy;    /* effective policy */
        char *const *envp;              /* the host environment env.pass filters (NULL = environ) */
        const char *user;               /* root only: run the server as this user (name or
                                         * uid); NULL = "nobody" for root, oneself otherwise */
        char ***env_secrets;            /* if set, receives the env.from_file values
                                         * (NULL-terminated, free each and the array) so the
                                         * inspector can redact them */
        char **exe;                     /* if set, receives the resolved executable (caller
                                         * frees): the inspector's pin key names it */
        const char *init_exe;           /* mcpcage-init; NULL: looked up (initexe.h) */
};

struct child {
        pid_t pid;      /* mcpcage's init in the sandbox (it forwards signals to the server) */
        int pidfd;      /* -1 when pidfd is unavailable */
        int stdin_fd;   /* write end: host -> server */
        int stdout_fd;  /* read end: server -> host */
        int stderr_fd;  /* read end: server's stderr */
        json_t *sandbox; /* what was applied (see launch_report_json); owned */
        struct violations *violations;  /* the seccomp supervisor (violations.h), or NULL */
        struct cgroup *cgroup;          /* the server's cgroup (cgroup.h), or NULL; removed by
                                         * child_close_fds once the server is reaped */
        pid_t net_pid;  /* network "filtered": the proxy process (sandbox/netproxy.h), or -1 */
        int net_events; /* its event lines for the audit log (relay/netlog.h), or -1 */
        struct netcgroup *net_cgroup;   /* network "host": the cgroup BPF programs, or NULL */
};

/* Must be called while mcpcage is single-threaded (the child allocates before exec).
 * On failure:
 *   -ENOENT (exit 127), or -EACCES/-ENOEXEC/-EPERM/... (126): the server's own execve()
 *           failed, in the sandbox or before it (command not found on PATH);
 *   -ECANCELED (exit 125): anything else (a policy check refused the command, a path of
 *           the filesystem view cannot be mounted, namespaces required but refused...);
 *           err->msg says which step, which path or policy key, and why.
 * The failed child has been reaped. */
int launch_child(const struct launch_config *cfg, struct child *out, struct mc_error *err);

/* Closes the fds and frees the report. */
void child_close_fds(struct child *c);

/* session_start.sandbox: sets into obj "isolation" ("namespaces", "landlock", "none"),
 * "namespaces" (list), "root" ("host"/"empty"), "user" {uid, gid, name}, "landlock_abi",
 * "landlock" (applied or not), "no_new_privs", "capabilities", "rlimits", "degraded"
 * (reasons, empty when none) and, in the fallback, "userns_refused". 0 or -ENOMEM. */
int launch_report_json(const struct child *c, json_t *obj);

/* --dry-run: the isolation mode, the mount plan (or the Landlock rules), the user, the
 * environment's names, the limits, the executable, on out. Nothing is started. 0, or the
 * error launch_child would have stopped at. */
int sandbox_describe(const struct launch_config *cfg, FILE *out, struct mc_error *err);
