#include "sandbox/violations.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

struct tally {
        int nr;
        char name[40];
        uint64_t total, pending;
        uint64_t last_report_ns;
        bool reported;
};

struct violations {
        int fd;
        struct seccomp_answer *answers;
        size_t n_answers;
        struct tally *t;
        size_t n, cap;
        uint64_t total;
        struct seccomp_notif *req;
        struct seccomp_notif_resp *resp;
};

int violations_fd(const struct violations *v) { return v->fd; }
uint64_t violations_total(const struct violations *v) { return v->total; }

void violations_free(struct violations *v)
{
        if (!v)
                return;
        if (v->fd >= 0)
                close(v->fd);
        if (v->req)
                seccomp_notify_free(v->req, v->resp);
        free(v->answers);
        free(v->t);
        free(v);
}

int violations_new(int listener, const struct seccomp_answer *answers, size_t n,
                   struct violations **out, struct mc_error *err)
{
        struct violations *v = calloc(1, sizeof(*v));
        if (!v) {
                close(listener);
                return mc_error_set(err, ENOMEM, "out of memory");
        }
        v->fd = listener;
        v->answers = n ? malloc(n * sizeof(*answers)) : NULL;
        if (n && !v->answers) {
                violations_free(v);
                return mc_error_set(err, ENOMEM, "out of memory");
        }
        if (n)
                memcpy(v->answers, answers, n * sizeof(*answers));
        v->n_answers = n;
        /* The kernel's struct sizes, which may be larger than the headers'. */
        int r = seccomp_notify_alloc(&v->req, &v->resp);
        if (r < 0) {
                violations_free(v);
                return mc_error_errno(err, -r, "seccomp: allocating the notification buffers");
        }
        *out = v;
        return 0;
}

static struct tally *tally_of(struct violations *v, int nr)
{
        for (size_t i = 0; i < v->n; i++)
                if (v->t[i].nr == nr)
                        return &v->t[i];
        if (v->n == v->cap) {
                size_t cap = v->cap ? v->cap * 2 : 16;
                struct tally *t = realloc(v->t, cap * sizeof(*t));
                if (!t)
                        return NULL;
                v->t = t;
                v->cap = cap;
        }
        struct tally *t = &v->t[v->n++];
        *t = (struct tally){ .nr = nr };
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
        if (name)
                snprintf(t->name, sizeof(t->name), "%s", name);
        else
                snprintf(t->name, sizeof(t->name), "syscall_%d", nr);
        free(name);
        return t;
}

/* The pid as the server sees it: the last field of NSpid in /proc/PID/status. */
static pid_t pid_inside(pid_t outer)
{
        char path[64], buf[2048];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)outer);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        char *line = strstr(buf, "\nNSpid:");
        if (!line)
                return outer;
        line += 7;
        char *end = strchr(line, '\n');
        if (end)
                *end = '\0';
        char *last = strrchr(line, '\t');
        return (pid_t)strtol(last ? last + 1 : line, NULL, 10);
}

static bool pending(int fd, bool *hup)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int n;
        do
                n = poll(&p, 1, 0);
        while (n < 0 && errno == EINTR);
        *hup = n > 0 && (p.revents & (POLLHUP | POLLERR)) && !(p.revents & POLLIN);
        return n > 0 && (p.revents & POLLIN);
}

/* One notification: answered with the profile's errno, never allowed. The pid is read
 * before the answer, while the caller still waits in the kernel and /proc still shows it. */
static int answer_one(struct violations *v, uint64_t now, struct violation_report *out,
                      size_t max, size_t *n_out)
{
        memset(v->req, 0, sizeof(*v->req));
        int r = seccomp_notify_receive(v->fd, v->req);
        if (r < 0)
                return r == -ENOENT || r == -EINTR ? 0 : r;  /* the caller died or was signalled */
        int nr = v->req->data.nr;
        int e = seccomp_answer_errno(v->answers, v->n_answers, nr);
        struct tally *t = tally_of(v, nr);
        bool due = t && (!t->reported || now - t->last_report_ns >= VIOLATIONS_REPORT_INTERVAL_NS) &&
                   *n_out < max;
        pid_t pid = due ? pid_inside((pid_t)v->req->pid) : 0;
        memset(v->resp, 0, sizeof(*v->resp));
        v->resp->id = v->req->id;
        v->resp->error = -e;
        v->resp->val = 0;
        v->resp->flags = 0;
        r = seccomp_notify_respond(v->fd, v->resp);
        if (r < 0 && r != -ENOENT)
                return r;
        if (!t)
                return -ENOMEM;
        v->total++;
        t->total++;
        t->pending++;
        if (!due)
                return 0;
        struct violation_report *rep = &out[(*n_out)++];
        memcpy(rep->syscall, t->name, sizeof(rep->syscall));
        rep->nr = nr;
        rep->pid = pid;
        rep->count = t->pending;
        rep->answer = e;
        t->pending = 0;
        t->reported = true;
        t->last_report_ns = now;
        return 0;
}

int violations_handle(struct violations *v, uint64_t now_ns, struct violation_report *out,
                      size_t max, size_t *n_out)
{
        *n_out = 0;
        /* Stop once the report array is full: a notification answered now could not be
         * reported, and if its syscall never comes again its record would be lost (the
         * listener stays readable, so the loop comes back for the rest). */
        for (int i = 0; i < VIOLATIONS_BATCH && *n_out < max; i++) {
                bool hup;
                if (!pending(v->fd, &hup))
                        return hup ? -EPIPE : 0;
                int r = answer_one(v, now_ns, out, max, n_out);
                if (r < 0)
                        return r;
        }
        return 1;
}

json_t *violations_totals(const struct violations *v)
{
        json_t *o = json_object();
        for (size_t i = 0; o && v && i < v->n; i++)
                if (json_object_set_new(o, v->t[i].name, json_integer((json_int_t)v->t[i].total)) < 0) {
                        json_decref(o);
                        return NULL;
                }
        return o;
}
