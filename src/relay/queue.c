/* Output queues: one writev per batch of queued lines, borrowed bytes written in place.
 * Copied by write(), never lent with vmsplice(): a reader that splices the pipe onward
 * keeps our pages after they leave the pipe, and would see what the framer puts there
 * next (tests/bench/README.md, thirteenth round). */
#include "relay/queue.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One writev carries at most this many pieces (IOV_MAX is 1024 on Linux). */
#define QUEUE_IOV_BATCH 256
/* Storage kept for reuse once the queue is empty; anything bigger is freed. */
#define QUEUE_KEEP_CAP (256 * 1024)

void queue_init(struct queue *q, size_t high, size_t low)
{
        *q = (struct queue){ .high = high, .low = low < high ? low : high };
}

void queue_free(struct queue *q)
{
        buf_free(&q->store);
        free(q->staged);
        *q = (struct queue){ .high = q->high, .low = q->low };
}

int queue_push_borrowed(struct queue *q, const char *p, size_t n)
{
        if (n == 0)
                return 0;
        if (q->n_staged > q->first) {
                /* Consecutive lines of one read are adjacent: one piece for all of them. */
                struct iovec *last = &q->staged[q->n_staged - 1];
                if ((const char *)last->iov_base + last->iov_len == p) {
                        last->iov_len += n;
                        q->staged_bytes += n;
                        return 0;
                }
        }
        if (q->n_staged == q->cap_staged) {
                size_t cap = q->cap_staged ? q->cap_staged * 2 : 16;
                struct iovec *v = realloc(q->staged, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                q->staged = v;
                q->cap_staged = cap;
        }
        q->staged[q->n_staged++] = (struct iovec){ .iov_base = (void *)p, .iov_len = n };
        q->staged_bytes += n;
        return 0;
}

static void queue_compact_store(struct queue *q)
{
        if (q->head == 0)
                return;
        if (q->head == q->store.len) {
                q->store.len = q->head = 0;
                return;
        }
        /* Move the unwritten rest to the front only when it is no bigger than what was
         * written, so the total cost of moving stays linear in the bytes queued. */
        if (q->head >= q->store.len - q->head) {
                buf_consume(&q->store, q->head);
                q->head = 0;
        }
}

int queue_settle(struct queue *q)
{
        if (q->staged_bytes == 0)
                return 0;
        queue_compact_store(q);
        int r = buf_reserve(&q->store, q->staged_bytes);
        if (r < 0)
                return r;
        for (size_t i = q->first; i < q->n_staged; i++)
                buf_append(&q->store, q->staged[i].iov_base, q->staged[i].iov_len);
        q->first = q->n_staged = q->staged_bytes = 0;
        return 0;
}

int queue_push_copy(struct queue *q, const char *p, size_t n)
{
        if (n == 0)
                return 0;
        int r = queue_settle(q);
        if (r < 0)
                return r;
        queue_compact_store(q);
        return buf_append(&q->store, p, n);
}

static void queue_advance(struct queue *q, size_t n)
{
        size_t own = q->store.len - q->head;
        size_t k = n < own ? n : own;
        q->head += k;
        n -= k;
        if (q->head == q->store.len) {
                q->store.len = q->head = 0;
                /* A big settled line is not kept around once written. */
                if (q->store.cap > QUEUE_KEEP_CAP)
                        buf_free(&q->store);
        }
        while (n > 0) {
                struct iovec *v = &q->staged[q->first];
                size_t take = n < v->iov_len ? n : v->iov_len;
                v->iov_base = (char *)v->iov_base + take;
                v->iov_len -= take;
                q->staged_bytes -= take;
                n -= take;
                if (v->iov_len == 0)
                        q->first++;
        }
        if (q->first == q->n_staged)
                q->first = q->n_staged = 0;
}

int queue_write(struct queue *q, int fd)
{
        while (queue_len(q) > 0) {
                struct iovec iov[QUEUE_IOV_BATCH];
                int n = 0;
                if (q->store.len > q->head)
                        iov[n++] = (struct iovec){ .iov_base = q->store.data + q->head,
                                                   .iov_len = q->store.len - q->head };
                for (size_t i = q->first; i < q->n_staged && n < QUEUE_IOV_BATCH; i++)
                        iov[n++] = q->staged[i];
                ssize_t w = n == 1 ? write(fd, iov[0].iov_base, iov[0].iov_len)
                                   : writev(fd, iov, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return 0;
                if (w < 0)
                        return -errno;
                size_t asked = 0;
                for (int i = 0; i < n; i++)
                        asked += iov[i].iov_len;
                queue_advance(q, (size_t)w);
                /* A short write means the pipe is full; asking again would only get EAGAIN. */
                if ((size_t)w < asked)
                        return 0;
        }
        return 0;
}

void queue_clear(struct queue *q)
{
        q->store.len = q->head = 0;
        q->first = q->n_staged = q->staged_bytes = 0;
        q->over = false;
}

bool queue_over(struct queue *q)
{
        size_t len = queue_len(q);
        if (!q->over && len >= q->high)
                q->over = true;
        else if (q->over && len <= q->low)
                q->over = false;
        return q->over;
}
