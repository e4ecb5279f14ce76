/* fuzz-framer: the framer fed the way the relay's pump_input feeds it (framer_space,
 * read into it, framer_commit, then framer_next until it says "more"), with the read sizes
 * and the moments the output queue still holds lines taken from the input's first bytes,
 * and every event compared with a plain split of the stream on "\n" (threats.md §4: a line
 * over message_bytes, a line with no newline, any chunking).
 *
 * Input: 2 bytes max_line (1..20000), 4 bytes of read steps, then the stream. A step byte:
 * bits 0-5 the read size (1..64), bit 6 times 257, bit 7 set = the lines handed out so far
 * are still queued (the relay then calls framer_space with may_move = false, and those
 * lines must stay valid and unchanged); clear = the queue was written out. */
#include "fuzz.h"
#include "relay/framer.h"

#include <stdbool.h>
#include <string.h>

#define HEADER 6
#define MAX_HELD 4096

struct held {
        const char *p;
        char *copy;
        size_t len;
};

struct run {
        const uint8_t *data;
        size_t n;
        size_t cursor;          /* where the next expected line starts in data */
        size_t max_line;
        struct held held[MAX_HELD];
        size_t n_held;
};

/* A line handed out stays valid until the next framer_space(may_move = true): the relay
 * queues it by pointer. Its bytes must still be the ones handed out. */
static void release_held(struct run *r)
{
        for (size_t i = 0; i < r->n_held; i++) {
                FUZZ_CHECK(!memcmp(r->held[i].p, r->held[i].copy, r->held[i].len),
                           "a queued line changed under the queue (%zu bytes)", r->held[i].len);
                free(r->held[i].copy);
        }
        r->n_held = 0;
}

static void hold(struct run *r, const struct frame *fr)
{
        if (r->n_held == MAX_HELD)
                release_held(r);
        char *copy = malloc(fr->len + 1);
        FUZZ_CHECK(copy, "out of memory");
        memcpy(copy, fr->data, fr->len);
        r->held[r->n_held++] = (struct held){ fr->data, copy, fr->len };
}

/* The frame for the stream's bytes [cursor, end): a line, or the head of an oversize one. */
static void check_frame(struct run *r, const struct frame *fr, size_t end, bool terminated)
{
        const char *line = (const char *)r->data + r->cursor;
        size_t len = end - r->cursor;
        if (len > r->max_line) {
                size_t head = len < FRAMER_HEAD_MAX ? len : FRAMER_HEAD_MAX;
                FUZZ_CHECK(fr->kind == FRAME_OVERSIZE, "a %zu-byte line over max_line %zu came as kind %d",
                           len, r->max_line, fr->kind);
                FUZZ_CHECK(fr->dropped == len, "oversize line of %zu bytes reported %zu dropped", len,
                           fr->dropped);
                FUZZ_CHECK(fr->len == head && !memcmp(fr->data, line, head),
                           "oversize head is not the line's first %zu bytes (got %zu)", head, fr->len);
        } else {
                FUZZ_CHECK(fr->kind == FRAME_LINE, "a %zu-byte line (max_line %zu) came as kind %d", len,
                           r->max_line, fr->kind);
                FUZZ_CHECK(fr->len == len && !memcmp(fr->data, line, len),
                           "line at stream offset %zu: %zu bytes expected, %zu differ", r->cursor, len,
                           fr->len);
                FUZZ_CHECK(!memchr(fr->data, '\n', fr->len), "an emitted line holds a newline");
                FUZZ_CHECK(fr->terminated == terminated, "terminated flag %d, expected %d",
                           fr->terminated, terminated);
                FUZZ_CHECK(!terminated || fr->data[fr->len] == '\n', "terminated line not followed by \\n");
        }
        r->cursor = end + (terminated ? 1 : 0);
}

static void next_frames(struct run *r, struct framer *f, size_t committed)
{
        struct frame fr;
        while (framer_next(f, &fr)) {
                const uint8_t *nl = memchr(r->data + r->cursor, '\n', committed - r->cursor);
                FUZZ_CHECK(nl, "a frame at offset %zu before its newline was committed", r->cursor);
                check_frame(r, &fr, (size_t)(nl - r->data), true);
                if (fr.kind == FRAME_LINE)
                        hold(r, &fr);
        }
        FUZZ_CHECK(fr.kind == FRAME_NONE, "framer_next returned false with kind %d", fr.kind);
        /* nothing complete may be left behind: every "\n" committed has been handed out */
        FUZZ_CHECK(!memchr(r->data + r->cursor, '\n', committed - r->cursor),
                   "a complete line at offset %zu was not handed out", r->cursor);
}

static void feed(struct run *r, struct framer *f, const uint8_t steps[4])
{
        size_t pos = 0;
        for (size_t step = 0; pos < r->n; step++) {
                uint8_t t = steps[step % 4];
                if (!(t & 0x80))
                        release_held(r);
                bool may_move = r->n_held == 0;
                char *p;
                size_t room;
                FUZZ_CHECK(framer_space(f, may_move, &p, &room) == 0, "framer_space failed");
                if (room == 0) {
                        /* the relay stops reading until the queue is written out */
                        FUZZ_CHECK(!may_move, "no room although the buffer may move");
                        release_held(r);
                        continue;
                }
                size_t want = ((size_t)(t & 0x3f) + 1) * (t & 0x40 ? 257 : 1);
                size_t k = want < room ? want : room;
                if (k > r->n - pos)
                        k = r->n - pos;
                memcpy(p, r->data + pos, k);
                pos += k;
                framer_commit(f, k);
                FUZZ_CHECK(f->cap <= f->cap_max, "buffer %zu over its bound %zu", f->cap, f->cap_max);
                FUZZ_CHECK(framer_pending(f) <= r->max_line + FRAMER_MIN_READ,
                           "%zu bytes pending for max_line %zu", framer_pending(f), r->max_line);
                next_frames(r, f, pos);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < HEADER)
                return 0;
        static struct run r;
        r = (struct run){ .data = data + HEADER, .n = size - HEADER };
        r.max_line = 1 + (((size_t)data[0] << 8) | data[1]) % 20000;

        struct framer f;
        FUZZ_CHECK(framer_init(&f, r.max_line) == 0, "framer_init(%zu) failed", r.max_line);
        feed(&r, &f, data + 2);
        release_held(&r);

        struct frame fr;
        if (r.cursor < r.n) {
                FUZZ_CHECK(framer_finish(&f, &fr), "the unterminated tail at %zu was not handed out",
                           r.cursor);
                check_frame(&r, &fr, r.n, false);
        }
        FUZZ_CHECK(!framer_finish(&f, &fr) && fr.kind == FRAME_NONE, "a frame after the end");
        FUZZ_CHECK(!framer_next(&f, &fr), "a frame after the end");
        FUZZ_CHECK(r.cursor >= r.n, "stream bytes from %zu on were never framed", r.cursor);
        framer_free(&f);
        return 0;
}
