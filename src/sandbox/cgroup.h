/* limits.memory, limits.pids and limits.cpu through a cgroup of the server's own (design.md
 * "Process model" step 4): a v2 child cgroup when mcpcage can make one with the controllers
 * it needs (root, or a delegated subtree), else v1 controllers when root, else nothing and
 * the caller falls back to rlimits. mcpcage creates the leaf before clone(), puts the child in
 * it before releasing it, watches it for OOM kills and pids exhaustion (threats.md §1 "fork
 * bomb", "allocate past limits.memory"), and removes it when the session ends, also after
 * the server crashed (a leftover cgroup is a bug: threats.md §4).
 *
 * Every path is under cfg->root, so the tests run the v2 code against a directory laid out
 * like cgroupfs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"
#include "util/error.h"

enum cgroup_kind { CGROUP_NONE, CGROUP_V2, CGROUP_V1 };

struct cgroup_limits {
        uint64_t memory;        /* bytes; 0 = no limit */
        uint64_t pids;          /* 0 = no limit */
        double cpu;             /* fraction of one CPU; 0 = no limit */
};

struct cgroup_config {
        const char *root;       /* "/sys/fs/cgroup" */
        const char *self;       /* "/proc/self/cgroup" */
        bool privileged;        /* root: v1 controllers may be used */
        pid_t owner;            /* names the leaf "mcpcage-<owner>" (stale ones are swept) */
};

/* Which limits the cgroup enforces (the rest are the caller's to apply as rlimits). */
enum { CGROUP_HAS_MEMORY = 1, CGROUP_HAS_PIDS = 2, CGROUP_HAS_CPU = 4 };

struct cgroup;

struct cgroup_events {
        uint64_t oom_kills;     /* processes the OOM killer ended in the cgroup */
        uint64_t pids_max;      /* forks refused at pids.max */
};

int cgroup_limits_from_policy(const struct policy *p, struct cgroup_limits *out, struct mc_error *err);
bool cgroup_limits_any(const struct cgroup_limits *l);

/* The leaf with the limits written. *out is NULL (and 0 returned) when no cgroup could be
 * made; why then says so for doctor and session_start. -errno only for a failure that must
 * stop the launch (a cgroup made but its limit refused). */
int cgroup_create(const struct cgroup_config *cfg, const struct cgroup_limits *lim,
                  struct cgroup **out, char *why, size_t why_len, struct mc_error *err);
enum cgroup_kind cgroup_kind_of(const struct cgroup *cg);
unsigned cgroup_enforces(const struct cgroup *cg);   /* CGROUP_HAS_* */
const char *cgroup_kind_name(enum cgroup_kind k);
const char *cgroup_path(const struct cgroup *cg);    /* the leaf (v1: the memory or pids one) */
/* Every leaf (v1: one per controller), NULL past the last: what the relay may still touch
 * after it confined itself (relay/selfconfine.h). */
const char *cgroup_dir(const struct cgroup *cg, size_t i);

/* Parent side, before the child is released. */
int cgroup_attach(struct cgroup *cg, pid_t pid, struct mc_error *err);

/* Readable when memory.events / pids.events (v1: the OOM eventfd, pids.events) changed;
 * -1 when there is nothing to watch. */
int cgroup_events_fd(const struct cgroup *cg);
/* What happened since the last call (drains the fd). */
void cgroup_events_read(struct cgroup *cg, struct cgroup_events *delta);

/* Peak memory of the cgroup in bytes (memory.peak / memory.max_usage_in_bytes), 0 if none. */
uint64_t cgroup_memory_peak(const struct cgroup *cg);

/* Kills what is left in it, removes the leaf (retrying while the kernel still tears the
 * last process down) and frees cg. 0 or -errno (the leaf could not be removed). */
int cgroup_destroy(struct cgroup *cg);

/* doctor: can this user get a cgroup here, and which kind. */
enum cgroup_kind cgroup_probe(const struct cgroup_config *cfg, char *why, size_t why_len);
