#include "sandbox/report.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "sandbox/launch.h"
#include "sandbox/limits.h"
#include "util/cleanup.h"

static json_t *strings(const struct strlist *l)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < l->n; i++)
                if (json_array_append_new(a, json_string(l->v[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *namespaces(unsigned long flags)
{
        static const struct { unsigned long flag; const char *name; } ns[] = {
                { CLONE_NEWUSER, "user" }, { CLONE_NEWNS, "mount" }, { CLONE_NEWPID, "pid" },
                { CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" }, { CLONE_NEWNET, "net" },
        };
        json_t *a = json_array();
        for (size_t i = 0; a && i < sizeof(ns) / sizeof(ns[0]); i++)
                if ((flags & ns[i].flag) && json_array_append_new(a, json_string(ns[i].name)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        /* unshared by the child once it is in its cgroup */
        if (a && (flags & CLONE_NEWUSER) && json_array_append_new(a, json_string("cgroup")) < 0) {
                json_decref(a);
                return NULL;
        }
        return a;
}

static json_t *limit(bool set, rlim_t v)
{
        return set ? json_integer((json_int_t)v) : json_null();
}

/* session_start.sandbox.seccomp: what the server runs under, and the filter's size. */
static json_t *seccomp_json(const struct sandbox_setup *s)
{
        const struct seccomp_plan *p = &s->seccomp;
        if (s->mode == ISOLATION_NONE || !p->prog)
                return json_pack("{s:s, s:n}", "profile", "none", "action");
        return json_pack("{s:s, s:s, s:i, s:s, s:b}", "profile", seccomp_profile_name(p->profile),
                         "action", seccomp_action_name(p->action), "instructions", (int)p->len,
                         "sockets", seccomp_net_name(p->net), "notify", p->notify);
}

json_t *report_json(const struct sandbox_setup *s)
{
        bool confined = s->mode != ISOLATION_NONE;
        bool landlock = s->mode == ISOLATION_LANDLOCK || (confined && s->landlock_required);
        const char *root = s->mode == ISOLATION_NAMESPACES ? (s->mounts.host_root ? "host" : "empty")
                         : s->mode == ISOLATION_LANDLOCK ? "landlock rules" : "host (unconfined)";
        json_t *r = json_pack("{s:s, s:o, s:s, s:{s:I, s:I, s:s}, s:i, s:b, s:b, s:s, s:{s:o, s:o}, s:o}",
                              "isolation", isolation_mode_name(s->mode),
                              "namespaces", namespaces(s->clone_flags),
                              "root", root,
                              "user", "uid", (json_int_t)(confined ? s->id.run_uid : s->id.outer_uid),
                              "gid", (json_int_t)(confined ? s->id.run_gid : s->id.outer_gid),
                              "name", s->id.name,
                              "landlock_abi", s->landlock.abi ? s->landlock.abi : landlock_abi(),
                              "landlock", landlock,
                              "no_new_privs", confined,
                              "capabilities", confined ? "none" : "inherited",
                              "rlimits", "open_files", limit(confined && s->rlimits.nofile_set, s->rlimits.nofile),
                              "file_size", limit(confined && s->rlimits.fsize_set, s->rlimits.fsize),
                              "degraded", strings(&s->degraded));
        if (r && (json_object_set_new(r, "cgroup", json_string(cgroup_kind_name(cgroup_kind_of(s->cgroup)))) < 0 ||
                  json_object_set_new(r, "limits", limits_report_json(s)) < 0)) {
                json_decref(r);
                return NULL;
        }
        if (r && s->cgroup_why[0] && !s->cgroup)
                json_object_set_new(r, "cgroup_why", json_string(s->cgroup_why));
        if (r && json_object_set_new(r, "seccomp", seccomp_json(s)) < 0) {
                json_decref(r);
                return NULL;
        }
        if (r && s->userns_refused)
                json_object_set_new(r, "userns_refused", json_string(s->userns_refused));
        return r;
}

int launch_report_json(const struct child *c, json_t *obj)
{
        if (!c->sandbox)
                return 0;
        return json_object_update(obj, c->sandbox) < 0 ? -ENOMEM : 0;
}

static void print_network(const struct sandbox_setup *s, FILE *out)
{
        const struct net_plan *n = &s->net;
        fprintf(out, "network:        %s", s->mode == ISOLATION_NONE ? "host (unconfined)" : net_mode_name(n->mode));
        if (s->mode != ISOLATION_NONE && n->mode == NET_FILTERED)
                fprintf(out, ", proxy on 127.0.0.1:%d%s, %zu allow rule(s), %zu forward(s)", n->proxy_port,
                        s->mode == ISOLATION_LANDLOCK ? " of the host" : " of the namespace", n->allow.n, n->n_fwd);
        else if (s->mode != ISOLATION_NONE && n->mode == NET_HOST && n->allow.n)
                fprintf(out, ", %zu allow rule(s) for the cgroup BPF programs or Landlock", n->allow.n);
        fputc('\n', out);
        for (size_t i = 0; s->mode != ISOLATION_NONE && n->mode == NET_FILTERED && i < n->n_fwd; i++)
                fprintf(out, "  forward %s -> %s:%d\n", n->fwd[i].listen_text, n->fwd[i].host, n->fwd[i].port);
}

static void print_env(const struct sandbox_setup *s, FILE *out)
{
        fputs("environment:   ", out);
        if (s->mode == ISOLATION_NONE) {
                fputs(" the host's, unfiltered\n", out);
                return;
        }
        for (size_t i = 0; i < s->env.n; i++)
                fprintf(out, " %.*s", (int)strcspn(s->env.v[i], "="), s->env.v[i]);
        fputs(" (names only)\n", out);
}

int sandbox_describe(const struct launch_config *cfg, FILE *out, struct mc_error *err)
{
        struct sandbox_setup s;
        int r = setup_prepare(cfg, &s, err);
        if (r < 0) {
                setup_clear(&s);
                return r;
        }
        fprintf(out, "sandbox:        %s", isolation_mode_name(s.mode));
        if (s.mode == ISOLATION_NAMESPACES)
                fputs(s.fallback_allowed ? " (Landlock fallback if user namespaces are refused)"
                                         : " (required: no fallback)", out);
        fputc('\n', out);
        if (s.mode != ISOLATION_NONE)
                fprintf(out, "server user:    %s (uid %u, gid %u)\n", s.id.name, (unsigned)s.id.run_uid,
                        (unsigned)s.id.run_gid);
        fprintf(out, "executable:     %s\n", s.exe);
        if (s.mode == ISOLATION_NAMESPACES)
                mount_plan_print(&s.mounts, out);
        if (s.mode == ISOLATION_LANDLOCK || (s.mode == ISOLATION_NAMESPACES && s.landlock_required))
                landlock_plan_print(&s.landlock, out);
        print_network(&s, out);
        print_env(&s, out);
        if (s.mode != ISOLATION_NONE) {
                fputs("rlimits:       ", out);
                if (s.rlimits.nofile_set)
                        fprintf(out, " open_files %llu", (unsigned long long)s.rlimits.nofile);
                if (s.rlimits.fsize_set)
                        fprintf(out, " file_size %llu", (unsigned long long)s.rlimits.fsize);
                if (s.rlimits.data_set)
                        fprintf(out, " data %llu", (unsigned long long)s.rlimits.data);
                if (s.rlimits.nproc_set)
                        fprintf(out, " nproc %llu", (unsigned long long)s.rlimits.nproc);
                if (s.rlimits.cpu_set)
                        fprintf(out, " cpu %llu s", (unsigned long long)s.rlimits.cpu);
                fputs(s.rlimits.nofile_set || s.rlimits.fsize_set || s.rlimits.data_set || s.rlimits.nproc_set ||
                      s.rlimits.cpu_set ? "\n" : " none\n", out);
                if (s.seccomp.prog)
                        fprintf(out, "seccomp:        profile %s, action %s, %u BPF instructions (sockets: %s)\n",
                                seccomp_profile_name(s.seccomp.profile), seccomp_action_name(s.seccomp.action),
                                s.seccomp.len, seccomp_net_name(s.seccomp.net));
                else
                        fputs("seccomp:        none\n", out);
                fprintf(out, "cgroup:         %s%s%s\n", cgroup_kind_name(cgroup_kind_of(s.cgroup)),
                        s.cgroup ? "" : s.cgroup_why[0] ? ": " : "", s.cgroup ? "" : s.cgroup_why);
                fputs("hygiene:        no capabilities (bounding and ambient sets empty), no_new_privs, "
                      "new session, only fds 0/1/2, parent-death signal\n", out);
        }
        for (size_t i = 0; i < s.degraded.n; i++)
                fprintf(out, "degraded:       %s\n", s.degraded.v[i]);
        setup_clear(&s);
        return 0;
}
