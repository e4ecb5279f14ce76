#include "sandbox/limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static bool require_cgroup(const struct policy *p)
{
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(p->root, "require"), i, f)
                if (json_is_string(f) && !strcmp(json_string_value(f), "cgroup"))
                        return true;
        return false;
}

/* What no cgroup covers: RLIMIT_DATA rather than RLIMIT_AS, because JIT runtimes (V8)
 * reserve gigabytes of address space they never touch, and RLIMIT_AS would refuse them at
 * start; RLIMIT_DATA counts the private writable memory a heap actually grows into. */
static int fall_back(struct sandbox_setup *s, const struct policy *p, unsigned covered)
{
        const struct cgroup_limits *l = &s->limits;
        const char *why = s->cgroup_why;
        int r = 0;
        if (l->memory && !(covered & CGROUP_HAS_MEMORY)) {
                s->rlimits.data_set = true;
                s->rlimits.data = (rlim_t)l->memory;
                r = strlist_addf(&s->degraded, "limits.memory: no cgroup (%s): RLIMIT_DATA instead (the "
                                 "heap and private mappings; no OOM record, allocations fail)", why);
        }
        if (r == 0 && l->pids && !(covered & CGROUP_HAS_PIDS)) {
                s->rlimits.nproc_set = true;
                s->rlimits.nproc = (rlim_t)l->pids;
                r = strlist_addf(&s->degraded, "limits.pids: no cgroup (%s): RLIMIT_NPROC instead%s", why,
                                 s->mode == ISOLATION_NAMESPACES ? " (counted in the server's own user namespace)"
                                 : " (counts every process of this user: no user namespace)");
        }
        if (r < 0 || l->cpu <= 0 || (covered & CGROUP_HAS_CPU))
                return r;
        uint64_t wall = 0;
        json_t *w = json_pointer_get(p->root, "/limits/wall_time");
        if (json_is_string(w))
                (void)policy_parse_time(json_string_value(w), &wall);
        if (wall) {
                /* the CPU seconds the fraction allows over the whole wall time */
                s->rlimits.cpu_set = true;
                s->rlimits.cpu = (rlim_t)(l->cpu * (double)wall / 1000.0) + 1;
                return strlist_addf(&s->degraded, "limits.cpu: no cgroup (%s): RLIMIT_CPU of %llu s "
                                    "(cpu x wall_time) instead of a share", why, (unsigned long long)s->rlimits.cpu);
        }
        return strlist_addf(&s->degraded, "limits.cpu: not enforced: no cgroup (%s) and no wall_time to "
                            "turn the fraction into RLIMIT_CPU seconds", why);
}

int limits_prepare(struct sandbox_setup *s, const struct policy *p, struct mc_error *err)
{
        int r = cgroup_limits_from_policy(p, &s->limits, err);
        if (r < 0 || !cgroup_limits_any(&s->limits))
                return r;
        struct cgroup_config cfg = { .root = "/sys/fs/cgroup", .self = "/proc/self/cgroup",
                                     .privileged = geteuid() == 0, .owner = getpid() };
#if MCPCAGE_TEST_HOOKS
        /* the v2 code path against a directory laid out like cgroupfs */
        const char *root = getenv("MCPCAGE_TEST_CGROUP_ROOT"), *self = getenv("MCPCAGE_TEST_CGROUP_SELF");
        if (root && self) {
                cfg.root = root;
                cfg.self = self;
        }
#endif
        r = cgroup_create(&cfg, &s->limits, &s->cgroup, s->cgroup_why, sizeof(s->cgroup_why), err);
        if (r < 0)
                return r;
        if (!s->cgroup && require_cgroup(p))
                return mc_error_set(err, EOPNOTSUPP, "%s: /require lists \"cgroup\" but no cgroup can be made "
                                    "here (%s); see mcpcage doctor", p->path ? p->path : "policy", s->cgroup_why);
        r = fall_back(s, p, cgroup_enforces(s->cgroup));
        return r < 0 ? mc_error_set(err, ENOMEM, "out of memory") : 0;
}

json_t *limits_report_json(const struct sandbox_setup *s)
{
        char kind[16];
        snprintf(kind, sizeof(kind), "cgroup %s", cgroup_kind_name(cgroup_kind_of(s->cgroup)));
        unsigned c = cgroup_enforces(s->cgroup);
        const struct rlimits_plan *rl = &s->rlimits;
        json_t *o = json_object();
        if (!o)
                return NULL;
        json_object_set_new(o, "memory", c & CGROUP_HAS_MEMORY ? json_string(kind) : rl->data_set ? json_string("rlimit")
                            : json_null());
        json_object_set_new(o, "pids", c & CGROUP_HAS_PIDS ? json_string(kind) : rl->nproc_set ? json_string("rlimit")
                            : json_null());
        json_object_set_new(o, "cpu", c & CGROUP_HAS_CPU ? json_string(kind) : rl->cpu_set ? json_string("rlimit")
                            : json_null());
        return o;
}
