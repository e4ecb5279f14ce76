/* A bounded output queue for one fd. Lines are queued either borrowed (pointers into a
 * framer's buffer, written with writev and never copied when the fd keeps up) or copied
 * (answers the inspector built in buffers it reuses). Whatever is still unwritten when the
 * borrowed memory is about to change is copied in by queue_settle(). Bytes leave in the
 * order they were queued; nothing is ever dropped except by queue_clear() (peer gone).
 *
 * Bounding: the queue itself accepts whatever it is given; the loop keeps it bounded by not
 * reading the sides that feed it while queue_over() says so (backpressure with hysteresis:
 * over at QUEUE_HIGH_WATER, clear again at QUEUE_LOW_WATER). One read can add at most one
 * framer buffer (message_bytes + a read) on top of the high-water mark. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "util/buf.h"

#define QUEUE_HIGH_WATER (4u * 1024 * 1024)
#define QUEUE_LOW_WATER (1u * 1024 * 1024)

struct queue {
        struct buf store;       /* owned bytes [head, store.len), always before the staged ones */
        size_t head;
        struct iovec *staged;   /* borrowed bytes, [first, n_staged) still to write */
        size_t first, n_staged, cap_staged;
        size_t staged_bytes;
        size_t high, low;
        bool over;
};

void queue_init(struct queue *q, size_t high, size_t low);
void queue_free(struct queue *q);

/* 0 or -ENOMEM. A borrowed span must stay unchanged until queue_settle() or until written. */
int queue_push_borrowed(struct queue *q, const char *p, size_t n);
int queue_push_copy(struct queue *q, const char *p, size_t n);
/* Copy the borrowed bytes still queued into the queue's own storage. 0 or -ENOMEM. */
int queue_settle(struct queue *q);

/* Write as much as fd takes now. 0 when the fd would block or the queue is empty, or -errno
 * (-EPIPE: the reader is gone). */
int queue_write(struct queue *q, int fd);
void queue_clear(struct queue *q);

static inline size_t queue_len(const struct queue *q)
{
        return q->store.len - q->head + q->staged_bytes;
}
static inline bool queue_has_borrowed(const struct queue *q) { return q->staged_bytes > 0; }
/* Backpressure with hysteresis; updates the state from the current length. */
bool queue_over(struct queue *q);
