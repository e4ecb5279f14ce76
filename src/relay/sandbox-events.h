/* What the sandbox reports while the server runs, turned into audit records and stderr
 * notes: seccomp refusals (violations.h), OOM kills and pids exhaustion of the server's
 * cgroup, a SIGSYS death under seccomp action kill, limits.wall_time. The loop calls these
 * from its epoll dispatch; each is bounded work. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "sandbox/cgroup.h"
#include "sandbox/violations.h"

/* One security record (kind, severity added to f, which is stolen; NULL-safe). */
void sandbox_event_security(struct audit *a, const char *kind, const char *severity, json_t *f);

/* Answers a batch of notifications and records the reports due. false: stop watching. */
bool sandbox_events_violations(struct audit *a, struct violations *v, uint64_t now_ns);

/* OOM kills and refused forks since the last call. */
void sandbox_events_cgroup(struct audit *a, struct cgroup *cg);

/* The server's wait status under action kill: a SIGSYS death is a violation. */
void sandbox_events_exit(struct audit *a, int wait_status, bool seccomp_kills);

void sandbox_events_wall_time(struct audit *a, uint64_t wall_time_ms);
