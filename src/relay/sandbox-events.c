#include "relay/sandbox-events.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "util/log.h"

void sandbox_event_security(struct audit *a, const char *kind, const char *severity, json_t *f)
{
        if (!f || json_object_set_new(f, "kind", json_string(kind)) < 0 ||
            json_object_set_new(f, "severity", json_string(severity)) < 0) {
                json_decref(f);
                log_warn("audit: cannot build a %s record (out of memory)", kind);
                return;
        }
        if (!a) {
                json_decref(f);
                return;
        }
        int r = audit_emit(a, "security", f);
        if (r < 0)
                log_warn("audit: writing a %s record: %s", kind, strerror(-r));
}

/* threats.md §1: every refusal is answered (with the profile's errno) and reported at most
 * once a second per syscall; the batch bound keeps a looping server from starving the
 * protocol. */
bool sandbox_events_violations(struct audit *a, struct violations *v, uint64_t now_ns)
{
        struct violation_report rep[16];
        size_t n = 0;
        int r = violations_handle(v, now_ns, rep, 16, &n);
        for (size_t i = 0; i < n; i++) {
                const char *err = strerrorname_np(rep[i].answer);
                bool fallback = rep[i].answer == ENOSYS;
                char detail[192];
                snprintf(detail, sizeof(detail), "%.40s refused with %.32s (pid %d in the sandbox)%s",
                         rep[i].syscall, err ? err : "?", (int)rep[i].pid,
                         rep[i].count > 1 ? ", repeated" : "");
                sandbox_event_security(a, "seccomp_violation", fallback ? "info" : "warning",
                                       json_pack("{s:s, s:s, s:i, s:I, s:s?}", "detail", detail, "syscall",
                                                 rep[i].syscall, "pid", (int)rep[i].pid, "count",
                                                 (json_int_t)rep[i].count, "answer", err));
                /* ENOSYS answers are the fallbacks libc and libuv expect: only with -v. */
                if (fallback)
                        log_info("seccomp: %s", detail);
                else
                        log_warn("seccomp: %s", detail);
        }
        if (r < 0 && r != -EPIPE && r != -EINTR)
                log_warn("seccomp: reading the listener: %s", strerror(-r));
        return r >= 0 || r == -EINTR;
}

void sandbox_events_cgroup(struct audit *a, struct cgroup *cg)
{
        struct cgroup_events ev;
        cgroup_events_read(cg, &ev);
        char detail[160];
        if (ev.oom_kills) {
                snprintf(detail, sizeof(detail), "limits.memory: the OOM killer ended %llu process(es) of the "
                         "server", (unsigned long long)ev.oom_kills);
                sandbox_event_security(a, "oom", "critical", json_pack("{s:s, s:s, s:I}", "detail", detail,
                                       "limit", "memory", "count", (json_int_t)ev.oom_kills));
                log_warn("%s", detail);
        }
        if (ev.pids_max) {
                snprintf(detail, sizeof(detail), "limits.pids: %llu fork(s) of the server refused at the limit",
                         (unsigned long long)ev.pids_max);
                sandbox_event_security(a, "limit", "warning", json_pack("{s:s, s:s, s:I}", "detail", detail,
                                       "limit", "pids", "count", (json_int_t)ev.pids_max));
                log_warn("%s", detail);
        }
}

/* Action kill: the kernel ended the server; init passes the signal on (as 128+N from a pid
 * namespace). */
void sandbox_events_exit(struct audit *a, int status, bool seccomp_kills)
{
        bool sys = (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) ||
                   (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGSYS);
        if (!seccomp_kills || !sys)
                return;
        sandbox_event_security(a, "seccomp_violation", "critical",
                               json_pack("{s:s, s:s}", "detail", "the server was killed by SIGSYS: it made a "
                                         "syscall the profile refuses (seccomp action kill)", "syscall", "unknown"));
        log_warn("seccomp: the server was killed for a refused syscall (action kill; rerun with "
                 "seccomp.action \"errno\" to see which)");
}

void sandbox_events_wall_time(struct audit *a, uint64_t wall_time_ms)
{
        char detail[96];
        snprintf(detail, sizeof(detail), "limits.wall_time: the server ran for %llu ms; stopping it",
                 (unsigned long long)wall_time_ms);
        sandbox_event_security(a, "limit", "warning", json_pack("{s:s, s:s}", "detail", detail, "limit", "wall_time"));
        log_warn("%s", detail);
}
