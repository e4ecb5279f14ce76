/* The supervisor's side of the seccomp listener (seccomp.h says why notifications): answer
 * every refused syscall with the profile's errno and tell the relay which refusals to
 * record. A looping server must neither flood the audit log nor stall the relay: each call
 * answers a bounded batch, and a syscall name is reported at most once a second with the
 * count of refusals since its last report (audit.md: "seccomp_violation records are limited
 * to one per syscall name per second; session_end counts them all"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "sandbox/seccomp.h"
#include "util/error.h"

/* How many notifications one violations_handle() answers before it lets the relay run. */
#define VIOLATIONS_BATCH 64
#define VIOLATIONS_REPORT_INTERVAL_NS 1000000000ull

struct violations;

struct violation_report {
        char syscall[40];       /* name, or "syscall_NNN" when libseccomp does not know it */
        int nr;
        pid_t pid;              /* in the server's pid namespace (0 when it is gone) */
        uint64_t count;         /* refusals of this syscall since its previous report */
        int answer;             /* the errno the server got */
};

/* Takes the listener fd (closed by violations_free, also on failure) and copies the answers. */
int violations_new(int listener, const struct seccomp_answer *answers, size_t n,
                   struct violations **out, struct mc_error *err);
int violations_fd(const struct violations *v);

/* Answers up to VIOLATIONS_BATCH pending notifications without blocking; fills out[] with
 * the reports due (at most max) and *n_out. Returns 1 when more may be pending, 0 when the
 * queue is empty, -EPIPE once no process uses the filter any more (stop watching), or
 * another -errno. */
int violations_handle(struct violations *v, uint64_t now_ns, struct violation_report *out,
                      size_t max, size_t *n_out);

/* {"syscall": total refusals} for session_end; NULL on ENOMEM. */
json_t *violations_totals(const struct violations *v);
uint64_t violations_total(const struct violations *v);

void violations_free(struct violations *v);
