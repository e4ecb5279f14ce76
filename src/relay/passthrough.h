/* The server's stderr, passed through raw to ours. A slow reader of our stderr holds the
 * server back, as it would without mcpcage; one that has not taken a byte for
 * PASSTHROUGH_STALL_MS is not reading at all, and from then on the server's stderr is
 * dropped (and counted) rather than stalling the protocol (threats.md §4 "child floods
 * stderr"). Memory: at most PASSTHROUGH_BUFFER bytes held. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

#define PASSTHROUGH_BUFFER (512 * 1024)
#define PASSTHROUGH_STALL_MS 1000

struct passthrough {
        struct buf q;
        uint64_t stall_deadline;        /* CLOCK_MONOTONIC ns, 0 = none */
        bool dropping;
        uint64_t dropped;
};

/* One read from in_fd. out_fd < 0: our stderr is gone (everything is dropped). Returns 1 at
 * EOF (or, once the server is gone, when nothing more is there), 0 otherwise, -ENOMEM. */
int passthrough_read(struct passthrough *pt, int in_fd, int out_fd, bool server_gone,
                     uint64_t now_ns);
/* Write what is held. Returns -errno when our stderr is gone (what was held is counted as
 * dropped), else 0. */
int passthrough_write(struct passthrough *pt, int out_fd);
bool passthrough_wants_input(const struct passthrough *pt, bool out_open);
static inline bool passthrough_wants_output(const struct passthrough *pt) { return pt->q.len > 0; }
/* Timer: the stall deadline (0 = none); tick switches to dropping when it has passed. */
static inline uint64_t passthrough_deadline(const struct passthrough *pt) { return pt->stall_deadline; }
void passthrough_tick(struct passthrough *pt, uint64_t now_ns);
/* At the end: a last write without waiting, and one line saying what was dropped. */
void passthrough_finish(struct passthrough *pt, int out_fd);
