#include "sandbox/setup.h"

#include <errno.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "sandbox/command.h"
#include "sandbox/env.h"
#include "sandbox/fallback.h"
#include "sandbox/limits.h"
#include "sandbox/network.h"
#include "sandbox/resolve.h"
#include "util/cleanup.h"


const char *isolation_mode_name(enum isolation_mode m)
{
        switch (m) {
        case ISOLATION_NAMESPACES: return "namespaces";
        case ISOLATION_LANDLOCK: return "landlock";
        case ISOLATION_NONE: return "none";
        default: return "?";
        }
}

/* Every failure but the executable's lookup is mcpcage's own (exit 125), whatever errno
 * the step saw: a missing mount source must not read as "command not found". */
static int refuse(struct mc_error *err)
{
        err->code = ECANCELED;
        return -ECANCELED;
}

static bool requires(const struct policy *p, const char *feature)
{
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(p->root, "require"), i, f)
                if (json_is_string(f) && !strcmp(json_string_value(f), feature))
                        return true;
        return false;
}

static int choose_mode(const struct policy *p, struct sandbox_setup *s, struct mc_error *err)
{
        const char *iso = json_string_value(json_object_get(p->root, "isolation"));
        const char *file = p->path ? p->path : "policy";
        bool need_ns = requires(p, "namespaces");
        s->landlock_required = requires(p, "landlock");
        if (!iso)
                iso = "auto";
        if (!strcmp(iso, "none")) {
                if (need_ns || s->landlock_required)
                        return mc_error_set(err, EINVAL, "%s: /isolation is \"none\" but /require lists "
                                            "\"%s\"", file, need_ns ? "namespaces" : "landlock");
                s->mode = ISOLATION_NONE;
        } else if (!strcmp(iso, "landlock")) {
                if (need_ns)
                        return mc_error_set(err, EINVAL, "%s: /isolation is \"landlock\" but /require "
                                            "lists \"namespaces\"", file);
                s->mode = ISOLATION_LANDLOCK;
        } else if (!strcmp(iso, "namespaces") || !strcmp(iso, "auto")) {
                s->mode = ISOLATION_NAMESPACES;
                s->fallback_allowed = !strcmp(iso, "auto") && !need_ns;
        } else {
                return mc_error_set(err, EINVAL, "%s: /isolation: unknown mode \"%s\"", file, iso);
        }
        return 0;
}

/* root "host" hides the user's home: $HOME and the passwd entry's, in case they differ. */
static void homes(char *const *host_env, const char *out[3])
{
        const char *h = NULL;
        for (char *const *e = host_env; e && *e; e++)
                if (!strncmp(*e, "HOME=", 5))
                        h = *e + 5;
        struct passwd *pw = getpwuid(geteuid());
        out[0] = h;
        out[1] = pw && (!h || strcmp(pw->pw_dir, h)) ? pw->pw_dir : NULL;
        out[2] = NULL;
        if (!out[0]) {
                out[0] = out[1];
                out[1] = NULL;
        }
}

static int prepare_landlock(struct sandbox_setup *s, const struct launch_config *cfg,
                            struct mc_error *err)
{
        const char *home[3];
        homes(cfg->envp ? cfg->envp : environ, home);
        s->landlock.abi = landlock_abi();
        if (s->landlock.abi < 1)
                return mc_error_set(err, EOPNOTSUPP, "Landlock is not available on this kernel "
                                    "(see mcpcage doctor); isolation \"landlock\" cannot be enforced");
        int r = fallback_plan_build(cfg->policy, (char *const *)home, &s->landlock, &s->degraded, err);
        if (r < 0)
                return r;
        r = network_fall_back(cfg->policy, &s->net, &s->landlock, &s->env, &s->degraded, &s->net_proxy_fd, err);
        if (r < 0)
                return r;
        r = landlock_ruleset_build(&s->landlock, &s->landlock_fd, err);
        if (r < 0)
                return r;
        free(s->workdir);
        const char *wd = json_string_value(json_pointer_get(cfg->policy->root, "/filesystem/workdir"));
        s->workdir = strdup(wd ? wd : "/");
        return s->workdir ? 0 : mc_error_set(err, ENOMEM, "out of memory");
}

/* A link the server could have planted in an earlier run must not steer a mount: a listed
 * path that goes through a symlink inside a read-write path is refused (threats.md §1 "a
 * symlink planted in a rw dir"). */
static int check_planted_links(const struct mount_plan *m, struct mc_error *err)
{
        for (size_t i = 0; i < m->n; i++) {
                if (m->ops[i].kind != MOUNT_SYMLINK)
                        continue;
                for (size_t j = 0; j < m->n; j++)
                        if (m->ops[j].kind == MOUNT_BIND_RW && path_under(m->ops[i].target, m->ops[j].target))
                                return mc_error_set(err, ELOOP, "%s: %s is a symlink inside the "
                                                    "read-write path %s; refusing to follow it (a server "
                                                    "could have planted it)", m->ops[i].origin,
                                                    m->ops[i].target, m->ops[j].target);
        }
        return 0;
}

static int prepare_namespaces(struct sandbox_setup *s, const struct launch_config *cfg,
                              struct mc_error *err)
{
        const struct policy *p = cfg->policy;
        const char *home[3];
        homes(cfg->envp ? cfg->envp : environ, home);
        int r = mount_plan_build(p, &s->id, (char *const *)home, &s->mounts, err);
        if (r < 0)
                return r;
        r = check_planted_links(&s->mounts, err);
        if (r < 0)
                return r;
        const char *net = json_string_value(json_pointer_get(p->root, "/network/mode"));
        s->clone_flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
        if (!net || strcmp(net, "host"))
                s->clone_flags |= CLONE_NEWNET;
        s->workdir = strdup(s->mounts.workdir);
        if (!s->workdir)
                return mc_error_set(err, ENOMEM, "out of memory");
        if (s->landlock_required) {
                s->landlock.abi = landlock_abi();
                if (s->landlock.abi < 1)
                        return mc_error_set(err, EOPNOTSUPP, "%s: /require lists \"landlock\" but Landlock "
                                            "is not available on this kernel", p->path);
                if (landlock_plan_for_view(&s->mounts, &s->landlock) < 0)
                        return mc_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

static void shm_options(struct sandbox_setup *s, const struct policy *p)
{
        json_t *mem = json_pointer_get(p->root, "/limits/memory");
        uint64_t bytes = 0;
        if (json_is_string(mem) && policy_parse_size(json_string_value(mem), &bytes) < 0)
                bytes = 0;
        /* half, as every tmpfs (mountplan.c tmpfs_size) */
        if (bytes)
                snprintf(s->shm_data, sizeof(s->shm_data), "mode=1777,size=%llu", (unsigned long long)bytes / 2);
        else
                snprintf(s->shm_data, sizeof(s->shm_data), "mode=1777");
}

/* policy.md: profile "none" warns and is audited; action "log" lets every refusal through
 * and only the kernel's log (dmesg, audit type 1326) holds the uses. */
static int seccomp_degraded(struct sandbox_setup *s, const struct policy *p, struct mc_error *err)
{
        int r = 0;
        if (s->seccomp.profile == SECCOMP_PROFILE_NONE && requires(p, "seccomp"))
                return mc_error_set(err, EINVAL, "%s: /seccomp/profile is \"none\" but /require lists "
                                    "\"seccomp\"", p->path ? p->path : "policy");
        if (s->seccomp.profile == SECCOMP_PROFILE_NONE)
                r = strlist_addf(&s->degraded, "seccomp profile none: no syscall filter (the rows of "
                                 "threats.md §1 answered by seccomp are not enforced)");
        else if (s->seccomp.action == SECCOMP_ACTION_LOG)
                r = strlist_addf(&s->degraded, "seccomp action log: refused syscalls are allowed; the "
                                 "kernel logs each use (dmesg), mcpcage's audit log does not");
        return r < 0 ? mc_error_set(err, ENOMEM, "out of memory") : 0;
}

static int prepare_process(struct sandbox_setup *s, const struct launch_config *cfg,
                           struct mc_error *err)
{
        char *const *host = cfg->envp ? cfg->envp : environ;
        int r;
        if (s->mode != ISOLATION_NONE) {
                r = env_build(cfg->policy, host, &s->env, &s->secrets, err);
                if (r < 0)
                        return refuse(err);
        }
        /* Found on the server's own PATH; a failure here is the shell's 127/126. */
        r = command_resolve(cfg->argv[0], s->mode == ISOLATION_NONE ? host : s->env.v, &s->exe, err);
        if (r < 0)
                return r;
        r = command_check(cfg->policy, s->exe, err);
        if (r < 0)
                return refuse(err);
        r = rlimits_from_policy(cfg->policy, &s->rlimits, err);
        if (r == 0 && s->mode != ISOLATION_NONE)
                r = seccomp_plan_from_policy(cfg->policy, &s->seccomp, err);
        if (r == 0 && s->mode != ISOLATION_NONE)
                r = seccomp_degraded(s, cfg->policy, err);
        return r < 0 ? refuse(err) : 0;
}

int setup_prepare(const struct launch_config *cfg, struct sandbox_setup *s, struct mc_error *err)
{
        *s = (struct sandbox_setup){ .landlock_fd = -1, .net_proxy_fd = -1, .argv = cfg->argv };
#if MCPCAGE_TEST_HOOKS
        s->legacy_mounts = getenv("MCPCAGE_TEST_LEGACY_MOUNTS") != NULL;
        const char *how = getenv("MCPCAGE_TEST_REFUSE_USERNS");
        s->refuse_userns = !how ? REFUSE_USERNS_NO : !strcmp(how, "mount") ? REFUSE_USERNS_AT_MOUNT
                                                                            : REFUSE_USERNS_AT_CLONE;
#endif
        int r = choose_mode(cfg->policy, s, err);
        if (r == 0)
                r = identity_resolve(cfg->user, &s->id, err);
        if (r < 0)
                return refuse(err);
        r = prepare_process(s, cfg, err);
        if (r < 0)
                return r;
        r = network_prepare(cfg->policy, &s->net, s->mode != ISOLATION_NONE ? &s->env : NULL, &s->degraded, err);
        if (r < 0)
                return refuse(err);
        shm_options(s, cfg->policy);
        if (s->mode != ISOLATION_NONE && (r = limits_prepare(s, cfg->policy, err)) < 0)
                return refuse(err);
        if (s->mode == ISOLATION_NAMESPACES)
                r = prepare_namespaces(s, cfg, err);
        else if (s->mode == ISOLATION_LANDLOCK)
                r = prepare_landlock(s, cfg, err);
        return r < 0 ? refuse(err) : 0;
}

int setup_fall_back(struct sandbox_setup *s, const struct launch_config *cfg, const char *why,
                    struct mc_error *err)
{
        if (!s->fallback_allowed)
                return mc_error_set(err, ECANCELED, "user namespaces are refused (%s) and the policy "
                                    "asks for them (isolation \"namespaces\" or require \"namespaces\"); "
                                    "see mcpcage doctor", why);
        s->mode = ISOLATION_LANDLOCK;
        s->clone_flags = 0;
        mount_plan_clear(&s->mounts);
        landlock_plan_clear(&s->landlock);
        free(s->userns_refused);
        s->userns_refused = strdup(why);
        int r = strlist_addf(&s->degraded, "user namespaces refused (%s): Landlock fallback", why);
        if (!s->userns_refused || r < 0)
                return mc_error_set(err, ECANCELED, "out of memory");
        r = prepare_landlock(s, cfg, err);
        return r < 0 ? refuse(err) : 0;
}

void setup_clear(struct sandbox_setup *s)
{
        mount_plan_clear(&s->mounts);
        landlock_plan_clear(&s->landlock);
        if (s->landlock_fd >= 0)
                close(s->landlock_fd);
        if (s->net_proxy_fd >= 0)
                close(s->net_proxy_fd);
        net_plan_clear(&s->net);
        free(s->exe);
        strlist_free(&s->env);
        strlist_free(&s->secrets);
        free(s->workdir);
        free(s->userns_refused);
        strlist_free(&s->degraded);
        seccomp_plan_clear(&s->seccomp);
        cgroup_destroy(s->cgroup);
        *s = (struct sandbox_setup){ .landlock_fd = -1, .net_proxy_fd = -1 };
}
