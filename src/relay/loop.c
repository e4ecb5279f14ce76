/* One epoll loop over host stdin/stdout, the server's stdin/stdout/stderr, a signalfd, a
 * timerfd and the server's pidfd. Each complete line goes framer -> inspector -> the output
 * queue its verdict names; queues over their high-water mark stop the reads that feed them
 * (backpressure), so no peer can make mcpcage grow without bound (threats.md §4).
 *
 * Shutdown (design.md): host stdin EOF or SIGTERM/SIGINT -> close the server's stdin ->
 * shutdown_grace -> SIGTERM -> 2 s -> SIGKILL. Once the server is reaped: read what it left
 * in its stdout, answer every host request still in flight, flush to the host for at most
 * RELAY_FLUSH_TIMEOUT_MS, return. */
#include "relay/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "relay/fds.h"
#include "relay/framer.h"
#include "relay/netlog.h"
#include "relay/passthrough.h"
#include "relay/queue.h"
#include "relay/residency.h"
#include "util/cleanup.h"
#include "relay/sandbox-events.h"
#include "util/log.h"


enum tag { T_HOST_IN, T_HOST_OUT, T_CHILD_IN, T_CHILD_OUT, T_CHILD_ERR, T_ERR_OUT,
           T_SIGNAL, T_TIMER, T_PIDFD, T_SECCOMP, T_NET, T_CGROUP, T_KILL, T_COUNT };

enum stage { STAGE_RUNNING, STAGE_GRACE, STAGE_TERM, STAGE_KILL };

struct watch {
        int fd;         /* -1: closed or finished */
        bool owned;     /* ours to close */
        bool pollable;  /* false for regular files and /dev/null: always ready */
        uint32_t armed; /* events registered with epoll */
};

struct loop {
        const struct relay_config *cfg;
        int epfd;
        struct watch w[T_COUNT];
        struct framer host_fr, child_fr;
        struct queue to_child, to_host;
        struct passthrough err;         /* the server's stderr on its way to ours */
        struct netlog net;              /* the network proxy's connection events */
        uint64_t now;
        enum stage stage;
        uint64_t stage_deadline, flush_deadline, armed_deadline, wall_deadline;
        uint64_t residency_deadline;    /* when the start pages are dropped (0: done) */
        bool reason_set, drained, close_child_in;
        bool signalled;                 /* we sent the server SIGTERM or SIGKILL */
        bool sent_to_child;             /* this round emptied the queue to the server */
        struct fd_flags in_flags, out_flags, err_flags;
        struct relay_result *res;
};

int relay_signals_block(struct mc_error *err)
{
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGUSR1);       /* the kill switch: on */
        sigaddset(&set, SIGUSR2);       /* off */
        sigaddset(&set, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return mc_error_errno(err, errno, "blocking signals");
        if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
                return mc_error_errno(err, errno, "ignoring SIGPIPE");
        return 0;
}

const char *relay_reason_name(enum relay_reason r)
{
        switch (r) {
        case RELAY_HOST_CLOSED: return "host_closed";
        case RELAY_CHILD_EXITED: return "child_exited";
        case RELAY_SIGNAL: return "signal";
        case RELAY_WALL_TIME: return "wall_time";
        default: return "child_exited";
        }
}

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ms_from_now(const struct loop *l, uint64_t ms)
{
        return l->now + ms * 1000000u;
}

/* ---- watches ---- */

static int watch_add(struct loop *l, enum tag t, int fd, bool owned)
{
        l->w[t] = (struct watch){ .fd = fd, .owned = owned, .pollable = true };
        struct epoll_event ev = { .events = 0, .data.u32 = t };
        /* Probe: epoll refuses regular files (EPERM); those are always ready. */
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                if (errno != EPERM)
                        return -errno;
                l->w[t].pollable = false;
                return 0;
        }
        /* Registered with no events, EPOLLHUP would still fire while we deliberately do not
         * read (backpressure); so an fd is only in the set while we want something. */
        (void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
        return 0;
}

static void watch_want(struct loop *l, enum tag t, uint32_t events)
{
        struct watch *w = &l->w[t];
        if (w->fd < 0 || !w->pollable || w->armed == events)
                return;
        struct epoll_event ev = { .events = events, .data.u32 = t };
        int op = !w->armed ? EPOLL_CTL_ADD : events ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
        if (epoll_ctl(l->epfd, op, w->fd, &ev) < 0) {
                log_debug("epoll_ctl on fd %d: %s", w->fd, strerror(errno));
                return;
        }
        w->armed = events;
}

static void watch_close(struct loop *l, enum tag t)
{
        struct watch *w = &l->w[t];
        if (w->fd < 0)
                return;
        watch_want(l, t, 0);
        if (w->owned)
                close(w->fd);
        w->fd = -1;
}

static bool is_open(const struct loop *l, enum tag t) { return l->w[t].fd >= 0; }

/* ---- the message path ---- */

static int fatal(struct loop *l, int r)
{
        if (r < 0 && !l->res->killed)
                log_error("relay: %s; stopping the server", strerror(-r));
        return r;
}

static int push_lines(struct loop *l, enum tag dest, const struct buf *b)
{
        if (!b || b->len == 0 || !is_open(l, dest))
                return 0;
        return queue_push_copy(dest == T_CHILD_IN ? &l->to_child : &l->to_host, b->data, b->len);
}

/* The verdict as a small value: forward the original bytes (borrowed from the framer, so
 * nothing is copied), then the inspector's lines to the peer, then those to the sender. */
static int apply_verdict(struct loop *l, bool from_host, const struct frame *fr,
                         const struct verdict *v)
{
        enum tag peer = from_host ? T_CHILD_IN : T_HOST_OUT;
        enum tag back = from_host ? T_HOST_OUT : T_CHILD_IN;
        struct queue *pq = from_host ? &l->to_child : &l->to_host;
        int r = 0;
        if (v->forward && fr->kind == FRAME_LINE && is_open(l, peer)) {
                if (fr->terminated) {
                        r = queue_push_borrowed(pq, fr->data, fr->len + 1);
                } else {
                        r = queue_push_copy(pq, fr->data, fr->len);
                        if (r >= 0)
                                r = queue_push_copy(pq, "\n", 1);
                }
                if (r < 0)
                        return r;
        }
        r = push_lines(l, peer, v->to_peer);
        if (r < 0)
                return r;
        return push_lines(l, back, v->to_sender);
}

static int process_frame(struct loop *l, bool from_host, const struct frame *fr)
{
        struct verdict v = { 0 };
        if (fr->kind == FRAME_OVERSIZE) {
                log_debug("a %zu-byte line from the %s exceeds mcp.limits.message_bytes (%zu)",
                          fr->dropped, from_host ? "host" : "server", l->cfg->message_bytes);
                inspect_oversize(l->cfg->ins, from_host, fr->data, fr->len, l->now, &v);
        } else if (from_host) {
                inspect_from_host(l->cfg->ins, fr->data, fr->len, l->now, &v);
        } else {
                inspect_from_server(l->cfg->ins, fr->data, fr->len, l->now, &v);
        }
        return apply_verdict(l, from_host, fr, &v);
}

static void begin_shutdown(struct loop *l, enum relay_reason reason)
{
        if (!l->reason_set) {
                l->res->reason = reason;
                l->reason_set = true;
        }
        if (l->stage != STAGE_RUNNING)
                return;
        watch_close(l, T_HOST_IN);
        l->close_child_in = true;
        l->stage = STAGE_GRACE;
        l->stage_deadline = ms_from_now(l, l->cfg->shutdown_grace_ms);
}

static int on_input_eof(struct loop *l, bool from_host)
{
        struct framer *f = from_host ? &l->host_fr : &l->child_fr;
        struct frame fr;
        /* The last line without its "\n" still counts: from the host it is a message, from
         * the server a line like any other. */
        if (framer_finish(f, &fr)) {
                int r = process_frame(l, from_host, &fr);
                if (r < 0)
                        return r;
        }
        if (from_host) {
                log_debug("the host closed its end of stdin");
                begin_shutdown(l, RELAY_HOST_CLOSED);
        } else {
                watch_close(l, T_CHILD_OUT);
        }
        return 0;
}

static bool can_read(struct loop *l, bool from_host)
{
        struct framer *f = from_host ? &l->host_fr : &l->child_fr;
        struct queue *borrower = from_host ? &l->to_child : &l->to_host;
        /* Lines handed out of this framer may still sit unwritten in the queue: then only
         * read into the space past them, never move them. */
        if (queue_has_borrowed(borrower) && f->cap - f->end < 4096)
                return false;
        return !queue_over(&l->to_child) && !queue_over(&l->to_host);
}

static int pump_input(struct loop *l, bool from_host)
{
        enum tag t = from_host ? T_HOST_IN : T_CHILD_OUT;
        struct framer *f = from_host ? &l->host_fr : &l->child_fr;
        struct queue *borrower = from_host ? &l->to_child : &l->to_host;
        char *p;
        size_t room;
        int r = framer_space(f, !queue_has_borrowed(borrower), &p, &room);
        if (r < 0)
                return r;
        if (room == 0)
                return 0;
        ssize_t n = read(l->w[t].fd, p, room);
        if (n < 0 && (errno == EINTR))
                return 0;
        if (n < 0 && errno == EAGAIN) {
                /* After the server exited its stdout holds nothing more of its own (a
                 * grandchild may keep the pipe open): treat "empty" as the end. */
                if (!from_host && l->res->reaped)
                        return on_input_eof(l, false);
                return 0;
        }
        if (n < 0)
                log_debug("reading from the %s: %s", from_host ? "host" : "server", strerror(errno));
        if (n <= 0)
                return on_input_eof(l, from_host);
        framer_commit(f, (size_t)n);
        /* Only one side at a time needs a buffer for a big line: the other one's, if idle,
         * goes back, so the peak stays at about one message_bytes (threats.md §4). */
        if (f->cap > FRAMER_FIRST_CAP) {
                struct framer *other = from_host ? &l->child_fr : &l->host_fr;
                if (!queue_has_borrowed(from_host ? &l->to_host : &l->to_child))
                        framer_shrink(other);
        }
        struct frame fr;
        while (framer_next(f, &fr)) {
                r = process_frame(l, from_host, &fr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- the server's stderr ---- */

static void stderr_write(struct loop *l)
{
        if (is_open(l, T_ERR_OUT) && passthrough_write(&l->err, l->w[T_ERR_OUT].fd) < 0)
                watch_close(l, T_ERR_OUT);
}

static int pump_stderr(struct loop *l)
{
        int r = passthrough_read(&l->err, l->w[T_CHILD_ERR].fd, l->w[T_ERR_OUT].fd,
                                 l->res->reaped, l->now);
        if (r > 0)
                watch_close(l, T_CHILD_ERR);
        return r < 0 ? r : 0;
}

/* ---- the sandbox's reports: seccomp refusals, limits ---- */

/* network "filtered": each connection the proxy decided becomes an audit record. */
static void on_net(struct loop *l)
{
        int r = netlog_read(&l->net, l->cfg->audit);
        if (r == 0)
                return;
        if (r < 0 || !l->res->reaped)
                log_warn("the network proxy stopped%s%s: the server's connections through it fail",
                         r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
        watch_close(l, T_NET);
}

/* Lines the proxy wrote as the server's connections closed at its exit: read for a moment
 * before the session ends, so they reach the audit log. */
static void drain_net(struct loop *l)
{
        for (int i = 0; i < 5 && is_open(l, T_NET); i++) {
                struct pollfd p = { .fd = l->w[T_NET].fd, .events = POLLIN };
                if (poll(&p, 1, 100) <= 0)
                        return;
                l->now = now_ns();
                on_net(l);
        }
}

static void on_violations(struct loop *l)
{
        if (!sandbox_events_violations(l->cfg->audit, l->cfg->child->violations, l->now))
                watch_close(l, T_SECCOMP);
}

/* ---- the server process ---- */

static void send_signal(struct loop *l, int sig)
{
        if (l->res->reaped)
                return;
        log_info("sending %s to the server (pid %d)", sigabbrev_np(sig), (int)l->cfg->child->pid);
        if (kill(l->cfg->child->pid, sig) < 0 && errno != ESRCH)
                log_warn("cannot signal the server (pid %d): %s", (int)l->cfg->child->pid,
                         strerror(errno));
        l->signalled = true;
        if (sig == SIGKILL)
                l->res->killed = true;
}

static void try_reap(struct loop *l)
{
        if (l->res->reaped)
                return;
        int status;
        pid_t p;
        do
                p = wait4(l->cfg->child->pid, &status, WNOHANG, &l->res->ru);
        while (p < 0 && errno == EINTR);
        if (p != l->cfg->child->pid)
                return;
        l->res->reaped = true;
        l->res->wait_status = status;
        if (!l->reason_set) {
                l->res->reason = RELAY_CHILD_EXITED;
                l->reason_set = true;
        }
        log_debug("the server exited (wait status 0x%x)", (unsigned)status);
        sandbox_events_exit(l->cfg->audit, status, l->cfg->seccomp_kills);
        sandbox_events_cgroup(l->cfg->audit, l->cfg->child->cgroup);
        watch_close(l, T_PIDFD);
        /* Nobody will read the server's stdin any more; what was queued for it is moot. */
        queue_clear(&l->to_child);
        watch_close(l, T_CHILD_IN);
        watch_close(l, T_HOST_IN);
        /* Its stdout may hold the rest of its output: from now on drained as always ready,
         * until a read finds it empty. */
        watch_want(l, T_CHILD_OUT, 0);
        watch_want(l, T_CHILD_ERR, 0);
        l->w[T_CHILD_OUT].pollable = false;
        l->w[T_CHILD_ERR].pollable = false;
        l->stage_deadline = 0;
        l->flush_deadline = ms_from_now(l, RELAY_FLUSH_TIMEOUT_MS);
}

static void advance_stage(struct loop *l)
{
        switch (l->stage) {
        case STAGE_GRACE:
                queue_clear(&l->to_child);
                watch_close(l, T_CHILD_IN);
                send_signal(l, SIGTERM);
                l->stage = STAGE_TERM;
                l->stage_deadline = ms_from_now(l, RELAY_TERM_TIMEOUT_MS);
                break;
        case STAGE_TERM:
                send_signal(l, SIGKILL);
                l->stage = STAGE_KILL;
                l->stage_deadline = 0;
                break;
        case STAGE_RUNNING:
        case STAGE_KILL:
        default:
                l->stage_deadline = 0;
                break;
        }
}

static void on_wall_time(struct loop *l)
{
        l->wall_deadline = 0;
        if (l->res->reaped || l->stage != STAGE_RUNNING)
                return;
        sandbox_events_wall_time(l->cfg->audit, l->cfg->wall_time_ms);
        begin_shutdown(l, RELAY_WALL_TIME);
        advance_stage(l);       /* no grace: SIGTERM now, SIGKILL 2 s later */
}

static void on_signal(struct loop *l)
{
        struct signalfd_siginfo si;
        ssize_t n;
        while ((n = read(l->w[T_SIGNAL].fd, &si, sizeof(si))) == (ssize_t)sizeof(si)) {
                switch (si.ssi_signo) {
                case SIGTERM:
                case SIGINT:
                        log_info("got %s: shutting the server down", sigabbrev_np((int)si.ssi_signo));
                        if (l->res->reaped)
                                l->flush_deadline = l->now;
                        else if (l->stage == STAGE_RUNNING)
                                begin_shutdown(l, RELAY_SIGNAL);
                        else
                                advance_stage(l); /* asked twice: skip the wait */
                        break;
                case SIGHUP: {
                        struct mc_error err = { 0 };
                        if (l->cfg->audit && audit_reopen(l->cfg->audit, &err) < 0)
                                log_warn("reopening the audit log: %s", err.msg);
                        break;
                }
                case SIGUSR1:
                case SIGUSR2:
                        inspector_set_kill(l->cfg->ins, si.ssi_signo == SIGUSR1);
                        log_warn("kill switch %s (%s)", si.ssi_signo == SIGUSR1 ? "on: every tools/call is refused"
                                 : "off", sigabbrev_np((int)si.ssi_signo));
                        break;
                case SIGCHLD:
                        try_reap(l);
                        break;
                default:
                        break;
                }
        }
}

static int on_timer(struct loop *l)
{
        uint64_t ticks;
        (void)!read(l->w[T_TIMER].fd, &ticks, sizeof(ticks));
        l->armed_deadline = 0;
        if (l->stage_deadline && l->now >= l->stage_deadline)
                advance_stage(l);
        if (l->wall_deadline && l->now >= l->wall_deadline)
                on_wall_time(l);
        passthrough_tick(&l->err, l->now);
        if (l->residency_deadline && l->now >= l->residency_deadline) {
                l->residency_deadline = 0;
                relay_drop_start_pages();
        }
        uint64_t d = inspector_next_deadline(l->cfg->ins);
        if (d && d <= l->now && !l->res->reaped) {
                /* A timed-out host request: the error goes back to the host (its sender),
                 * the cancellation on to the server (its peer). */
                struct verdict v = { 0 };
                inspector_tick(l->cfg->ins, l->now, &v);
                int r = push_lines(l, T_CHILD_IN, v.to_peer);
                if (r < 0)
                        return r;
                r = push_lines(l, T_HOST_OUT, v.to_sender);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- writing ---- */

static void flush_queue(struct loop *l, enum tag t)
{
        struct queue *q = t == T_CHILD_IN ? &l->to_child : &l->to_host;
        if (!is_open(l, t) || queue_len(q) == 0)
                return;
        int r = queue_write(q, l->w[t].fd);
        if (r >= 0) {
                if (t == T_CHILD_IN && queue_len(q) == 0)
                        l->sent_to_child = true;
                return;
        }
        queue_clear(q);
        watch_close(l, t);
        if (t == T_CHILD_IN) {
                /* The server closed its stdin: what the host sends it now goes nowhere, but the
                 * in-flight requests are still answered when it exits. */
                log_debug("the server closed its stdin: %s", strerror(-r));
        } else {
                log_debug("the host stopped reading our stdout: %s", strerror(-r));
                begin_shutdown(l, RELAY_HOST_CLOSED);
        }
}

static int after_io(struct loop *l)
{
        flush_queue(l, T_CHILD_IN);
        flush_queue(l, T_HOST_OUT);
        if (l->close_child_in && queue_len(&l->to_child) == 0)
                watch_close(l, T_CHILD_IN);
        if (l->res->reaped && is_open(l, T_CHILD_OUT) && l->now >= l->flush_deadline) {
                /* The host stopped reading and the rest of the server's output cannot move:
                 * give up on it rather than wait for ever. */
                log_debug("the host is not reading; dropping the server's remaining output");
                watch_close(l, T_CHILD_OUT);
        }
        if (l->res->reaped && !is_open(l, T_CHILD_OUT) && !l->drained) {
                /* Every host request still unanswered gets an error, if the host still reads. */
                struct buf answers = { 0 };
                inspector_drain(l->cfg->ins,
                                l->signalled ? "mcpcage stopped the server before it answered"
                                             : "the server exited before answering",
                                l->now, &answers);
                int r = push_lines(l, T_HOST_OUT, &answers);
                buf_free(&answers);
                if (r < 0)
                        return r;
                l->drained = true;
                flush_queue(l, T_HOST_OUT);
        }
        return 0;
}

static bool loop_done(const struct loop *l)
{
        if (!l->res->reaped || !l->drained)
                return false;
        return queue_len(&l->to_host) == 0 || !is_open(l, T_HOST_OUT) ||
               l->now >= l->flush_deadline;
}

/* ---- interest and timers ---- */

static uint32_t input_want(struct loop *l, bool from_host)
{
        return can_read(l, from_host) ? EPOLLIN : 0;
}

static bool update_interest(struct loop *l)
{
        uint32_t want[T_COUNT] = {
                [T_HOST_IN] = input_want(l, true),
                [T_CHILD_OUT] = input_want(l, false),
                [T_CHILD_ERR] = passthrough_wants_input(&l->err, is_open(l, T_ERR_OUT)) ? EPOLLIN : 0,
                [T_HOST_OUT] = queue_len(&l->to_host) ? EPOLLOUT : 0,
                [T_CHILD_IN] = queue_len(&l->to_child) ? EPOLLOUT : 0,
                [T_ERR_OUT] = passthrough_wants_output(&l->err) ? EPOLLOUT : 0,
                [T_SIGNAL] = EPOLLIN,
                [T_TIMER] = EPOLLIN,
                [T_PIDFD] = EPOLLIN,
                [T_SECCOMP] = EPOLLIN,
                [T_NET] = EPOLLIN,
                [T_CGROUP] = EPOLLIN,
                [T_KILL] = EPOLLIN,
        };
        bool always_ready = false;
        for (int t = 0; t < T_COUNT; t++) {
                watch_want(l, (enum tag)t, want[t]);
                if (is_open(l, (enum tag)t) && !l->w[t].pollable && want[t])
                        always_ready = true;
        }
        return always_ready;
}

static int arm_timer(struct loop *l)
{
        uint64_t d = l->stage_deadline;
        if (l->wall_deadline && !l->res->reaped && (!d || l->wall_deadline < d))
                d = l->wall_deadline;
        uint64_t c = l->res->reaped ? 0 : inspector_next_deadline(l->cfg->ins);
        if (c && (!d || c < d))
                d = c;
        if (l->flush_deadline && (!d || l->flush_deadline < d))
                d = l->flush_deadline;
        uint64_t s = passthrough_deadline(&l->err);
        if (s && (!d || s < d))
                d = s;
        if (l->residency_deadline && (!d || l->residency_deadline < d))
                d = l->residency_deadline;
        if (d == l->armed_deadline)
                return 0;
        struct itimerspec its = { 0 };
        if (d) {
                its.it_value.tv_sec = (time_t)(d / 1000000000u);
                its.it_value.tv_nsec = (long)(d % 1000000000u);
                if (d <= l->now) /* already due: fire at once */
                        its.it_value = (struct timespec){ .tv_nsec = 1 };
        }
        if (timerfd_settime(l->w[T_TIMER].fd, d && d > l->now ? TFD_TIMER_ABSTIME : 0, &its, NULL) < 0)
                return -errno;
        l->armed_deadline = d;
        return 0;
}

static int dispatch(struct loop *l, enum tag t, uint32_t events)
{
        if (!is_open(l, t))
                return 0;
        switch (t) {
        case T_HOST_IN: return pump_input(l, true);
        case T_CHILD_OUT: return pump_input(l, false);
        case T_CHILD_ERR: return pump_stderr(l);
        case T_HOST_OUT:
        case T_CHILD_IN:
                flush_queue(l, t);
                return 0;
        case T_ERR_OUT: stderr_write(l); return 0;
        case T_SIGNAL: on_signal(l); return 0;
        case T_TIMER: return on_timer(l);
        case T_PIDFD: try_reap(l); return 0;
        case T_SECCOMP: on_violations(l); return 0;
        case T_CGROUP: sandbox_events_cgroup(l->cfg->audit, l->cfg->child->cgroup); return 0;
        case T_NET: on_net(l); return 0;
        case T_KILL: inspector_kill_changed(l->cfg->ins); return 0;
        case T_COUNT:
        default:
                (void)events;
                return 0;
        }
}

/* After a round that handed the server everything queued for it, read its stdout once
 * before waiting: when the server answered while we wrote (on one CPU the woken server
 * usually runs first), the answer is there and goes out in this round, without an
 * epoll_wait between. Otherwise the read finds nothing (EAGAIN) and the next wait
 * catches the answer. Only the server's side reads ahead: a change of the kill switch
 * (inotify, SIGUSR1) must be seen at a wait before the host's next input is read. */
static int read_ahead(struct loop *l)
{
        if (!l->sent_to_child)
                return 0;
        l->sent_to_child = false;
        if (!is_open(l, T_CHILD_OUT) || !can_read(l, false))
                return 0;
        l->now = now_ns();
        int r = pump_input(l, false);
        if (r < 0)
                return r;
        return after_io(l);
}

static int loop_iterate(struct loop *l)
{
        bool always_ready = update_interest(l);
        int r = arm_timer(l);
        if (r < 0)
                return r;
        struct epoll_event evs[T_COUNT];
        int n = epoll_wait(l->epfd, evs, T_COUNT, always_ready ? 0 : -1);
        if (n < 0 && errno != EINTR)
                return -errno;
        l->now = now_ns();
        /* the kill switch first: a call read in this round already sees it */
        for (int i = 0; i < n; i++)
                if (evs[i].data.u32 == T_KILL)
                        dispatch(l, T_KILL, evs[i].events);
        for (int i = 0; i < n; i++) {
                if (evs[i].data.u32 == T_KILL)
                        continue;
                r = dispatch(l, (enum tag)evs[i].data.u32, evs[i].events);
                if (r < 0)
                        return r;
        }
        for (int t = 0; always_ready && t < T_COUNT; t++) {
                if (!is_open(l, (enum tag)t) || l->w[t].pollable)
                        continue;
                bool input = t == T_HOST_IN || t == T_CHILD_OUT;
                if (input && !can_read(l, t == T_HOST_IN))
                        continue;
                r = dispatch(l, (enum tag)t, 0);
                if (r < 0)
                        return r;
        }
        r = after_io(l);
        if (r >= 0)
                r = read_ahead(l);
        /* the round's records after its output: off the path of the messages themselves */
        audit_flush(l->cfg->audit);
        return r;
}

/* ---- setup and teardown ---- */

static int loop_setup(struct loop *l, struct mc_error *err)
{
        const struct relay_config *c = l->cfg;
        for (int t = 0; t < T_COUNT; t++)
                l->w[t].fd = -1;
        int r = framer_init(&l->host_fr, c->message_bytes);
        if (r >= 0)
                r = framer_init(&l->child_fr, c->message_bytes);
        if (r < 0)
                return mc_error_errno(err, -r, "allocating the line buffers");
        queue_init(&l->to_child, QUEUE_HIGH_WATER, QUEUE_LOW_WATER);
        queue_init(&l->to_host, QUEUE_HIGH_WATER, QUEUE_LOW_WATER);

        l->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epfd < 0)
                return mc_error_errno(err, errno, "epoll_create1");
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGUSR1);       /* the kill switch: on */
        sigaddset(&set, SIGUSR2);       /* off */
        sigaddset(&set, SIGCHLD);
        int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (sfd < 0)
                return mc_error_errno(err, errno, "signalfd");
        int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (tfd < 0) {
                close(sfd);
                return mc_error_errno(err, errno, "timerfd_create");
        }
        if ((r = fd_set_nonblock(c->host_in, &l->in_flags)) < 0 ||
            (r = fd_set_nonblock(c->host_out, &l->out_flags)) < 0)
                log_debug("cannot make the host's stdio non-blocking: %s", strerror(-r));
        int efd = fd_open_passthrough(c->host_err, &l->err_flags);

        struct child *ch = c->child;
        fd_grow_pipe(ch->stdin_fd);
        fd_grow_pipe(ch->stdout_fd);
        fd_grow_pipe(c->host_out);
        int fds[T_COUNT] = { c->host_in, c->host_out, TAKE_FD(ch->stdin_fd), TAKE_FD(ch->stdout_fd),
                             TAKE_FD(ch->stderr_fd), efd, sfd, tfd, TAKE_FD(ch->pidfd),
                             ch->violations ? violations_fd(ch->violations) : -1, ch->net_events,
                             cgroup_events_fd(ch->cgroup), inspector_kill_fd(c->ins) };
        /* the proxy's socket stays the child's: child_close_fds() stops the proxy with it */
        bool owned[T_COUNT] = { false, false, true, true, true, efd != c->host_err, true, true, true, false, false,
                                false, false };
        l->net.fd = ch->net_events;
        for (int t = 0; t < T_COUNT; t++) {
                if (fds[t] < 0)
                        continue;
                r = watch_add(l, (enum tag)t, fds[t], owned[t]);
                if (r < 0) {
                        for (int u = t; u < T_COUNT; u++)
                                if (owned[u] && fds[u] >= 0)
                                        close(fds[u]);
                        return mc_error_errno(err, -r, "epoll_ctl");
                }
                if (t == T_CHILD_IN || t == T_CHILD_OUT || t == T_CHILD_ERR) {
                        int fl = fcntl(fds[t], F_GETFL);
                        if (fl >= 0)
                                (void)fcntl(fds[t], F_SETFL, fl | O_NONBLOCK);
                }
        }
        return 0;
}

static void loop_teardown(struct loop *l)
{
        drain_net(l);
        passthrough_finish(&l->err, l->w[T_ERR_OUT].fd);
        l->res->stderr_dropped = l->err.dropped;
        for (int t = 0; t < T_COUNT; t++)
                watch_close(l, (enum tag)t);
        fd_restore(&l->in_flags);
        fd_restore(&l->out_flags);
        fd_restore(&l->err_flags);
        queue_free(&l->to_child);
        queue_free(&l->to_host);
        framer_free(&l->host_fr);
        framer_free(&l->child_fr);
        if (l->epfd >= 0)
                close(l->epfd);
}

/* On any error the server must not outlive the session, and session_end needs its status. */
static void loop_abort(struct loop *l)
{
        send_signal(l, SIGKILL);
        while (!l->res->reaped) {
                int status;
                pid_t p = wait4(l->cfg->child->pid, &status, 0, &l->res->ru);
                if (p < 0 && errno == EINTR)
                        continue;
                l->res->reaped = true;
                l->res->wait_status = p < 0 ? 0 : status;
        }
}

int relay_run(const struct relay_config *cfg, struct relay_result *out, struct mc_error *err)
{
        *out = (struct relay_result){ .reason = RELAY_CHILD_EXITED };
        struct loop l = { .cfg = cfg, .epfd = -1, .res = out };
        l.now = now_ns();
        if (cfg->wall_time_ms)
                l.wall_deadline = ms_from_now(&l, cfg->wall_time_ms);
        int r = loop_setup(&l, err);
        audit_hold(cfg->audit, true);
        l.residency_deadline = ms_from_now(&l, RESIDENCY_DELAY_MS);
        while (r >= 0 && !loop_done(&l))
                r = loop_iterate(&l);
        audit_hold(cfg->audit, false);
        if (r < 0 && !err->code)
                mc_error_errno(err, -r, "relay");
        if (r < 0) {
                fatal(&l, r);
                loop_abort(&l);
        }
        loop_teardown(&l);
        if (cfg->child->violations) {
                out->violations = violations_totals(cfg->child->violations);
                out->violations_total = violations_total(cfg->child->violations);
        }
        out->memory_peak = cgroup_memory_peak(cfg->child->cgroup);
        child_close_fds(cfg->child);
        return r < 0 ? r : 0;
}
