#include "relay/passthrough.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#define PASSTHROUGH_CHUNK (64 * 1024)

int passthrough_write(struct passthrough *pt, int out_fd)
{
        while (pt->q.len > 0) {
                ssize_t w = write(out_fd, pt->q.data, pt->q.len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN)
                        return 0;
                if (w <= 0) {
                        int e = w < 0 ? errno : EPIPE;
                        pt->dropped += pt->q.len;
                        buf_reset(&pt->q);
                        return -e;
                }
                buf_consume(&pt->q, (size_t)w);
                pt->stall_deadline = 0;
                pt->dropping = false;
        }
        return 0;
}

bool passthrough_wants_input(const struct passthrough *pt, bool out_open)
{
        return pt->q.len < PASSTHROUGH_BUFFER || pt->dropping || !out_open;
}

int passthrough_read(struct passthrough *pt, int in_fd, int out_fd, bool server_gone,
                     uint64_t now_ns)
{
        static char sink[PASSTHROUGH_CHUNK];
        bool drop = out_fd < 0 || pt->q.len >= PASSTHROUGH_BUFFER;
        if (drop && out_fd >= 0 && !pt->dropping)
                return 0;
        char *dst = sink;
        size_t room = sizeof(sink);
        if (!drop) {
                room = PASSTHROUGH_BUFFER - pt->q.len;
                int r = buf_reserve(&pt->q, room);
                if (r < 0)
                        return r;
                dst = pt->q.data + pt->q.len;
        }
        ssize_t n = read(in_fd, dst, room);
        if (n < 0 && errno == EINTR)
                return 0;
        if (n < 0 && errno == EAGAIN)
                return server_gone ? 1 : 0;
        if (n <= 0)
                return 1;
        if (drop) {
                pt->dropped += (uint64_t)n;
                return 0;
        }
        pt->q.len += (size_t)n;
        /* A write error here is seen again, and handled, by the caller's next write. */
        (void)passthrough_write(pt, out_fd);
        if (pt->q.len >= PASSTHROUGH_BUFFER && !pt->stall_deadline)
                pt->stall_deadline = now_ns + PASSTHROUGH_STALL_MS * 1000000u;
        return 0;
}

void passthrough_tick(struct passthrough *pt, uint64_t now_ns)
{
        if (pt->stall_deadline && now_ns >= pt->stall_deadline) {
                pt->stall_deadline = 0;
                pt->dropping = true;
        }
}

void passthrough_finish(struct passthrough *pt, int out_fd)
{
        if (out_fd >= 0)
                (void)passthrough_write(pt, out_fd);
        pt->dropped += pt->q.len;
        if (pt->dropped && out_fd >= 0) {
                /* Through the non-blocking fd: our stderr may be exactly what is stuck. */
                char line[160];
                int n = snprintf(line, sizeof(line), "mcpcage: dropped %" PRIu64 " bytes of the "
                                 "server's stderr: our stderr was not being read\n", pt->dropped);
                (void)!write(out_fd, line, (size_t)n);
        }
        buf_free(&pt->q);
}
