/* The output queue: bytes leave in the order queued (borrowed and copied mixed), partial
 * writes resume where they stopped, settled bytes survive the borrowed memory changing,
 * backpressure has hysteresis, a gone reader is an error and not a death. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay/queue.h"
#include "tap.h"

/* Read everything available from a non-blocking fd. */
static void drain(int fd, struct buf *out)
{
        char chunk[65536];
        ssize_t n;
        while ((n = read(fd, chunk, sizeof(chunk))) > 0)
                buf_append(out, chunk, (size_t)n);
}

static void make_pipe(int p[2], int size)
{
        if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
                abort();
        if (size)
                (void)fcntl(p[1], F_SETPIPE_SZ, size);
}

static void test_order_and_merge(void)
{
        struct queue q;
        queue_init(&q, 1 << 20, 1 << 10);
        static const char src[] = "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
        queue_push_borrowed(&q, src, 8);
        queue_push_borrowed(&q, src + 8, 8);
        tap_ok(q.n_staged == 1 && q.staged_bytes == 16, "adjacent borrowed lines become one piece");
        queue_push_copy(&q, "{\"err\":1}\n", 10);
        tap_ok(!queue_has_borrowed(&q), "a copied line settles the borrowed ones before it (order)");
        queue_push_borrowed(&q, src + 16, 8);
        tap_ok(queue_len(&q) == 34, "length counts owned and borrowed bytes");
        int p[2];
        make_pipe(p, 0);
        tap_ok(queue_write(&q, p[1]) == 0 && queue_len(&q) == 0, "one write empties it");
        struct buf got = { 0 };
        drain(p[0], &got);
        buf_append(&got, "", 1);
        tap_is_str(got.data, "{\"a\":1}\n{\"b\":2}\n{\"err\":1}\n{\"c\":3}\n", "bytes in queue order");
        buf_free(&got);
        close(p[0]);
        close(p[1]);
        queue_free(&q);
}

/* Random pushes and a small pipe read in random slices: the output is exactly the input. */
static void test_never_reorders(void)
{
        struct queue q;
        queue_init(&q, 1 << 20, 1 << 16);
        int p[2];
        make_pipe(p, 4096);
        struct buf want = { 0 }, got = { 0 };
        char *arena = malloc(1 << 20);
        size_t used = 0;
        srand(7);
        for (int round = 0; round < 2000; round++) {
                size_t n = 1 + (size_t)rand() % 3000;
                char *line = arena + used;
                for (size_t i = 0; i < n; i++)
                        line[i] = (char)('A' + (round + (int)i) % 26);
                buf_append(&want, line, n);
                if (rand() % 3) {
                        queue_push_borrowed(&q, line, n);
                        used += n;
                } else {
                        queue_push_copy(&q, line, n);
                }
                if (used > (1 << 20) - 4096) {
                        /* The arena is about to be reused: what is unwritten must be copied. */
                        queue_settle(&q);
                        memset(arena, '#', used);
                        used = 0;
                }
                if (queue_write(&q, p[1]) < 0)
                        break;
                drain(p[0], &got);
        }
        while (queue_len(&q) > 0) {
                queue_write(&q, p[1]);
                drain(p[0], &got);
        }
        drain(p[0], &got);
        tap_ok(got.len == want.len && !memcmp(got.data, want.data, want.len),
               "2000 mixed pushes through a 4 KiB pipe: same bytes, same order (%zu bytes)", got.len);
        free(arena);
        buf_free(&want);
        buf_free(&got);
        close(p[0]);
        close(p[1]);
        queue_free(&q);
}

static void test_partial_write_and_settle(void)
{
        struct queue q;
        queue_init(&q, 1 << 20, 1 << 10);
        int p[2];
        make_pipe(p, 4096);
        size_t n = 200000;
        char *big = malloc(n);
        memset(big, 'x', n);
        queue_push_borrowed(&q, big, n);
        tap_ok(queue_write(&q, p[1]) == 0 && queue_len(&q) > 0 && queue_len(&q) < n,
               "a full pipe takes part; the rest waits (EAGAIN is not an error)");
        size_t left = queue_len(&q);
        tap_ok(queue_settle(&q) == 0 && !queue_has_borrowed(&q) && queue_len(&q) == left,
               "settle copies the unwritten rest");
        memset(big, 'Y', n);
        struct buf got = { 0 };
        while (queue_len(&q) > 0) {
                drain(p[0], &got);
                queue_write(&q, p[1]);
        }
        drain(p[0], &got);
        bool all_x = got.len == n;
        for (size_t i = 0; all_x && i < got.len; i++)
                all_x = got.data[i] == 'x';
        tap_ok(all_x, "what was settled is the original bytes, not what the memory became");
        free(big);
        buf_free(&got);
        close(p[0]);
        close(p[1]);
        queue_free(&q);
}

static void test_hysteresis(void)
{
        struct queue q;
        queue_init(&q, 1000, 100);
        char block[600] = { 0 };
        queue_push_copy(&q, block, 600);
        tap_ok(!queue_over(&q), "below high water: not over");
        queue_push_copy(&q, block, 600);
        tap_ok(queue_over(&q), "at or above high water: over");
        int p[2];
        make_pipe(p, 0);
        /* Write 1000 of the 1200 bytes through a tiny writev-free path. */
        ssize_t w = write(p[1], q.store.data + q.head, 1000);
        (void)w;
        q.head += 1000;
        tap_ok(queue_len(&q) == 200 && queue_over(&q), "between the marks: still over (hysteresis)");
        queue_write(&q, p[1]);
        tap_ok(queue_len(&q) == 0 && !queue_over(&q), "at or below low water: clear again");
        close(p[0]);
        close(p[1]);
        queue_free(&q);
}

static void test_reader_gone(void)
{
        struct queue q;
        queue_init(&q, 1 << 20, 1 << 10);
        int p[2];
        make_pipe(p, 0);
        close(p[0]);
        queue_push_copy(&q, "x\n", 2);
        tap_ok(queue_write(&q, p[1]) == -EPIPE, "a closed reader is -EPIPE");
        queue_clear(&q);
        tap_ok(queue_len(&q) == 0, "clear drops what was queued for a gone peer");
        close(p[1]);
        queue_free(&q);
}

static void test_many_pieces(void)
{
        /* More non-adjacent pieces than one writev takes: all are written, in order. */
        struct queue q;
        queue_init(&q, 1 << 20, 1 << 10);
        static char src[4000];
        for (size_t i = 0; i < sizeof(src); i++)
                src[i] = (char)('0' + i % 10);
        for (size_t i = 0; i < 1500; i++)
                queue_push_borrowed(&q, src + (i * 2) % 3998, 1); /* never adjacent */
        int p[2];
        make_pipe(p, 0);
        queue_write(&q, p[1]);
        struct buf got = { 0 };
        drain(p[0], &got);
        bool ok = got.len == 1500;
        for (size_t i = 0; ok && i < 1500; i++)
                ok = got.data[i] == src[(i * 2) % 3998];
        tap_ok(ok && queue_len(&q) == 0, "1500 separate pieces go out in order");
        buf_free(&got);
        close(p[0]);
        close(p[1]);
        queue_free(&q);
}

int main(void)
{
        signal(SIGPIPE, SIG_IGN);
        test_order_and_merge();
        test_never_reorders();
        test_partial_write_and_settle();
        test_hysteresis();
        test_reader_gone();
        test_many_pieces();
        return tap_done();
}
