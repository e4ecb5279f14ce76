/* The framer: lines come out the same whatever the chunking; oversize lines are reported
 * once with their head and never buffered whole; a stream with no newline stays bounded
 * (threats.md §4). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay/framer.h"
#include "tap.h"
#include "util/buf.h"

/* Events as text: "L<len>:<bytes>|" for a line ("T" instead of "L" when unterminated),
 * "O<dropped>:<head>|" for an oversize line. */
static void record(struct buf *out, const struct frame *fr)
{
        if (fr->kind == FRAME_LINE)
                buf_printf(out, "%c%zu:", fr->terminated ? 'L' : 'T', fr->len);
        else
                buf_printf(out, "O%zu:", fr->dropped);
        buf_append(out, fr->data, fr->len);
        buf_append(out, "|", 1);
}

static size_t max_cap;

/* Feed `in` in chunks of the given sizes (cycled), then EOF. */
static void run(size_t limit, const char *in, size_t len, const size_t *chunks, size_t n_chunks,
                struct buf *out)
{
        struct framer f;
        if (framer_init(&f, limit) < 0)
                abort();
        size_t off = 0, k = 0;
        struct frame fr;
        while (off < len) {
                char *p;
                size_t room;
                if (framer_space(&f, true, &p, &room) < 0 || room == 0)
                        abort();
                size_t n = chunks[k++ % n_chunks];
                if (n > room)
                        n = room;
                if (n > len - off)
                        n = len - off;
                memcpy(p, in + off, n);
                framer_commit(&f, n);
                off += n;
                while (framer_next(&f, &fr))
                        record(out, &fr);
                if (f.cap > max_cap)
                        max_cap = f.cap;
        }
        if (framer_finish(&f, &fr))
                record(out, &fr);
        framer_free(&f);
}

static void test_every_split(void)
{
        static const char in[] = "{\"a\":1}\n\n{\"b\":2}\r\nxxxxxxxxxxxxxxxxxxxxxxxxx\n{\"c\":3}\ntail";
        size_t len = sizeof(in) - 1;
        const size_t whole[] = { SIZE_MAX };
        struct buf want = { 0 };
        run(16, in, len, whole, 1, &want);
        buf_append(&want, "", 1);
        want.len--;
        tap_is_str(want.data,
                   "L7:{\"a\":1}|L0:|L8:{\"b\":2}\r|O25:xxxxxxxxxxxxxxxxxxxxxxxxx|L7:{\"c\":3}|T4:tail|",
                   "one chunk: lines, empty line, \\r kept, oversize head, unterminated tail");
        bool all_same = true;
        for (size_t cut = 1; cut < len; cut++) {
                const size_t two[] = { cut, SIZE_MAX };
                struct buf got = { 0 };
                run(16, in, len, two, 2, &got);
                if (got.len != want.len || memcmp(got.data, want.data, got.len)) {
                        all_same = false;
                        printf("# differs when cut at %zu: %.*s\n", cut, (int)got.len, got.data);
                }
                buf_free(&got);
        }
        tap_ok(all_same, "split in two at every point: the same events");
        const size_t one[] = { 1 };
        struct buf bytes = { 0 };
        run(16, in, len, one, 1, &bytes);
        tap_ok(bytes.len == want.len && !memcmp(bytes.data, want.data, want.len),
               "byte by byte: the same events");
        const size_t odd[] = { 3, 7, 1, 11 };
        struct buf mixed = { 0 };
        run(16, in, len, odd, 4, &mixed);
        tap_ok(mixed.len == want.len && !memcmp(mixed.data, want.data, want.len),
               "chunks of 3,7,1,11: the same events");
        buf_free(&want);
        buf_free(&bytes);
        buf_free(&mixed);
}

static void test_limit_edges(void)
{
        const size_t limit = 100;
        for (size_t len = limit - 2; len <= limit + 2; len++) {
                char *in = malloc(len + 1);
                memset(in, 'y', len);
                in[len] = '\n';
                const size_t chunks[] = { 9 };
                struct buf got = { 0 };
                run(limit, in, len + 1, chunks, 1, &got);
                char prefix[32];
                snprintf(prefix, sizeof(prefix), "%c%zu:", len <= limit ? 'L' : 'O', len);
                tap_ok(got.len == strlen(prefix) + len + 1 && !memcmp(got.data, prefix, strlen(prefix)),
                       "a %zu-byte line against a %zu limit is %s", len, limit,
                       len <= limit ? "a line" : "oversize");
                /* Without its newline, at EOF: the same verdict. */
                struct buf eof = { 0 };
                run(limit, in, len, chunks, 1, &eof);
                snprintf(prefix, sizeof(prefix), "%c%zu:", len <= limit ? 'T' : 'O', len);
                tap_ok(eof.len == strlen(prefix) + len + 1 && !memcmp(eof.data, prefix, strlen(prefix)),
                       "the same line unterminated at EOF is %s", len <= limit ? "a line" : "oversize");
                buf_free(&got);
                buf_free(&eof);
                free(in);
        }
}

static void test_oversize_head(void)
{
        const size_t limit = 8192, len = 300000;
        char *in = malloc(len + 16);
        for (size_t i = 0; i < len; i++)
                in[i] = (char)('a' + i % 26);
        memcpy(in + len, "\n{\"ok\":1}\n", 10);
        const size_t chunks[] = { 4000, 65536, 17 };
        struct buf got = { 0 };
        max_cap = 0;
        run(limit, in, len + 10, chunks, 3, &got);
        char want[64];
        int n = snprintf(want, sizeof(want), "O%zu:", len);
        bool head_ok = got.len > (size_t)n + FRAMER_HEAD_MAX &&
                       !memcmp(got.data, want, (size_t)n) &&
                       !memcmp(got.data + n, in, FRAMER_HEAD_MAX) && got.data[n + FRAMER_HEAD_MAX] == '|';
        tap_ok(head_ok, "an oversize line is reported once with its first %d bytes", FRAMER_HEAD_MAX);
        const char *rest = memchr(got.data, '|', got.len);
        tap_ok(rest && !strncmp(rest + 1, "L8:{\"ok\":1}|", got.len - (size_t)(rest + 1 - got.data)),
               "the next line after it passes");
        tap_ok(max_cap <= limit + FRAMER_MIN_READ, "the buffer stayed within limit + one read (%zu)", max_cap);
        buf_free(&got);
        free(in);
}

static void test_no_newline_bounded(void)
{
        const size_t limit = 1024 * 1024, total = 64u * 1024 * 1024;
        struct framer f;
        framer_init(&f, limit);
        size_t fed = 0, events = 0, peak = 0;
        struct frame fr;
        while (fed < total) {
                char *p;
                size_t room;
                framer_space(&f, true, &p, &room);
                memset(p, 'z', room);
                framer_commit(&f, room);
                fed += room;
                while (framer_next(&f, &fr))
                        events++;
                if (f.cap > peak)
                        peak = f.cap;
        }
        tap_ok(events == 0, "64 MiB without a newline: no event while it streams");
        tap_ok(peak <= limit + FRAMER_MIN_READ, "memory stayed at about the limit (peak %zu)", peak);
        bool last = framer_finish(&f, &fr);
        tap_ok(last && fr.kind == FRAME_OVERSIZE && fr.dropped == fed && fr.len == FRAMER_HEAD_MAX,
               "at EOF it is reported once as oversize, every byte counted");
        tap_ok(!framer_finish(&f, &fr), "and only once");
        framer_free(&f);
}

static void test_borrowed_lines_stay(void)
{
        struct framer f;
        framer_init(&f, 1000);
        char *p;
        size_t room;
        framer_space(&f, true, &p, &room);
        memcpy(p, "{\"x\":1}\n{\"y\"", 12);
        framer_commit(&f, 12);
        struct frame fr;
        framer_next(&f, &fr);
        const char *line = fr.data;
        tap_ok(fr.kind == FRAME_LINE && fr.len == 7 && line[7] == '\n', "a line is handed out in place, its \\n after it");
        tap_ok(!framer_next(&f, &fr), "a partial tail waits");
        /* While the line is still queued (may_move false), reading more must not move it. */
        framer_space(&f, false, &p, &room);
        memcpy(p, ":2}\n", 4);
        framer_commit(&f, 4);
        tap_ok(!memcmp(line, "{\"x\":1}\n", 8), "the borrowed line is untouched by the next read");
        tap_ok(framer_next(&f, &fr) && fr.len == 7 && !memcmp(fr.data, "{\"y\":2}", 7),
               "the tail completes across reads");
        tap_ok(!framer_finish(&f, &fr), "a stream ending in \\n has no tail at EOF");
        framer_free(&f);
}

static void test_many_tiny_lines(void)
{
        /* 10^6 tiny lines in large reads: all come out, none merged or split. */
        const size_t n = 1000000;
        struct buf in = { 0 };
        for (size_t i = 0; i < n; i++)
                buf_append(&in, "{}\n", 3);
        struct framer f;
        framer_init(&f, 64);
        size_t off = 0, lines = 0;
        bool shape = true;
        struct frame fr;
        while (off < in.len) {
                char *p;
                size_t room;
                framer_space(&f, true, &p, &room);
                size_t k = room < in.len - off ? room : in.len - off;
                memcpy(p, in.data + off, k);
                framer_commit(&f, k);
                off += k;
                while (framer_next(&f, &fr)) {
                        lines++;
                        shape &= fr.kind == FRAME_LINE && fr.len == 2;
                }
        }
        tap_ok(lines == n && shape, "10^6 tiny lines: every one, intact (%zu)", lines);
        framer_free(&f);
        buf_free(&in);
}

static void test_shrink(void)
{
        struct framer f;
        framer_init(&f, 4u << 20);
        size_t len = 3u << 20;
        struct buf in = { 0 };
        for (size_t i = 0; i < len; i++)
                buf_append(&in, "q", 1);
        buf_append(&in, "\n", 1);
        size_t off = 0;
        struct frame fr;
        bool got = false;
        while (off < in.len) {
                char *p;
                size_t room;
                framer_space(&f, true, &p, &room);
                size_t k = room < in.len - off ? room : in.len - off;
                memcpy(p, in.data + off, k);
                framer_commit(&f, k);
                off += k;
                while (framer_next(&f, &fr))
                        got = fr.kind == FRAME_LINE && fr.len == len;
        }
        tap_ok(got && f.cap > len, "a 3 MiB line grows the buffer to hold it");
        tap_ok(framer_shrink(&f) && f.cap == FRAMER_FIRST_CAP, "once it is consumed the buffer shrinks back");
        char *p;
        size_t room;
        framer_space(&f, true, &p, &room);
        memcpy(p, "{\"a\"", 4);
        framer_commit(&f, 4);
        framer_next(&f, &fr);
        tap_ok(!framer_shrink(&f), "a buffer holding a partial line is not shrunk");
        framer_space(&f, true, &p, &room);
        memcpy(p, ":1}\n", 4);
        framer_commit(&f, 4);
        tap_ok(framer_next(&f, &fr) && fr.len == 7 && !memcmp(fr.data, "{\"a\":1}", 7),
               "and the partial line survives");
        framer_free(&f);
        buf_free(&in);
}

int main(void)
{
        struct framer f;
        tap_ok(framer_init(&f, 0) == -EINVAL, "a zero limit is refused");
        test_every_split();
        test_limit_edges();
        test_oversize_head();
        test_no_newline_bounded();
        test_borrowed_lines_stay();
        test_many_tiny_lines();
        test_shrink();
        return tap_done();
}
