#include "net/proxy.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/conn.h"
#include "util/log.h"

/* While a lookup runs, how often its completion is checked (getaddrinfo_a without a
 * notification: no signals and no threads of ours in this process). */
#define LOOKUP_POLL_MS 10

struct proxy {
        struct proxy_ctx ctx;
        const int *lfd;
        size_t n_listen;
        struct conn conns[PROXY_MAX_CONNS];
        /* pollfd index of each conn's client and upstream fd, or -1 */
        int cidx[PROXY_MAX_CONNS], uidx[PROXY_MAX_CONNS], lidx[1 + NET_MAX_FORWARDS];
        struct pollfd pfd[1 + NET_MAX_FORWARDS + 1 + 2 * PROXY_MAX_CONNS];
};

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static size_t busy(const struct proxy *px)
{
        size_t n = 0;
        for (size_t i = 0; i < PROXY_MAX_CONNS; i++)
                n += px->conns[i].st != C_FREE;
        return n;
}

static int add(struct proxy *px, size_t *n, int fd, short events)
{
        if (fd < 0 || !events)
                return -1;
        px->pfd[*n] = (struct pollfd){ .fd = fd, .events = events };
        return (int)(*n)++;
}

/* The poll set and its timeout: listeners only while there is room for a connection and
 * for its audit record. */
static size_t build(struct proxy *px, int *timeout)
{
        size_t n = 0;
        add(px, &n, px->ctx.events.fd, (short)(POLLIN | (px->ctx.events.q.len ? POLLOUT : 0)));
        bool room = busy(px) < PROXY_MAX_CONNS && !net_events_full(&px->ctx.events);
        for (size_t i = 0; i < px->n_listen; i++)
                px->lidx[i] = add(px, &n, room ? px->lfd[i] : -1, POLLIN);
        uint64_t next = 0;
        bool lookups = false;
        for (size_t i = 0; i < PROXY_MAX_CONNS; i++) {
                struct conn *c = &px->conns[i];
                short cev, uev;
                conn_want(c, &cev, &uev);
                px->cidx[i] = add(px, &n, c->cfd, cev);
                px->uidx[i] = add(px, &n, c->ufd, uev);
                lookups |= c->gai_pending;
                if (c->st != C_FREE && c->st != C_ZOMBIE && (!next || c->deadline < next))
                        next = c->deadline;
        }
        *timeout = -1;
        if (next)
                *timeout = next > px->ctx.now ? (int)(next - px->ctx.now) : 0;
        if (lookups && (*timeout < 0 || *timeout > LOOKUP_POLL_MS))
                *timeout = LOOKUP_POLL_MS;
        return n;
}

static void accept_on(struct proxy *px, size_t listener)
{
        for (;;) {
                struct conn *slot = NULL;
                for (size_t i = 0; i < PROXY_MAX_CONNS && !slot; i++)
                        if (px->conns[i].st == C_FREE)
                                slot = &px->conns[i];
                if (!slot || net_events_full(&px->ctx.events))
                        return;
                int fd = accept4(px->lfd[listener], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_debug("proxy: accept: %s", strerror(errno));
                        return;
                }
                conn_start(&px->ctx, slot, fd, (int)listener - 1);
        }
}

/* The relay closed its end: mcpcage is ending the session. */
static bool relay_gone(const struct proxy *px)
{
        short r = px->pfd[0].revents;
        if (r & (POLLHUP | POLLERR))
                return true;
        if (r & POLLIN) {
                char b;
                return recv(px->ctx.events.fd, &b, 1, MSG_DONTWAIT) == 0;
        }
        return false;
}

int net_proxy_run(const struct net_plan *plan, const int *fds, size_t n, int events_fd)
{
        if (n > 1 + NET_MAX_FORWARDS)
                return 1;
        static struct proxy px;
        px = (struct proxy){ .ctx = { .plan = plan, .events = { .fd = events_fd } }, .lfd = fds, .n_listen = n };
        for (size_t i = 0; i < PROXY_MAX_CONNS; i++)
                px.conns[i] = (struct conn){ .st = C_FREE, .cfd = -1, .ufd = -1 };
        for (;;) {
                int timeout;
                px.ctx.now = now_ms();
                size_t np = build(&px, &timeout);
                int r = poll(px.pfd, np, timeout);
                if (r < 0 && errno != EINTR)
                        return 1;
                px.ctx.now = now_ms();
                if (r > 0 && relay_gone(&px))
                        break;
                for (size_t i = 0; r > 0 && i < px.n_listen; i++)
                        if (px.lidx[i] >= 0 && (px.pfd[px.lidx[i]].revents & POLLIN))
                                accept_on(&px, i);
                for (size_t i = 0; i < PROXY_MAX_CONNS; i++) {
                        struct conn *c = &px.conns[i];
                        short crev = px.cidx[i] >= 0 ? px.pfd[px.cidx[i]].revents : 0;
                        short urev = px.uidx[i] >= 0 ? px.pfd[px.uidx[i]].revents : 0;
                        if (crev || urev)
                                conn_io(&px.ctx, c, crev, urev);
                        conn_tick(&px.ctx, c);
                }
                if (net_events_flush(&px.ctx.events) < 0)
                        break;
        }
        for (size_t i = 0; i < PROXY_MAX_CONNS; i++)
                conn_abort(&px.ctx, &px.conns[i]);
        (void)net_events_flush(&px.ctx.events);
        buf_free(&px.ctx.events.q);
        return 0;
}
