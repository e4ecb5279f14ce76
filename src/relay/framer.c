/* Splitting a byte stream into lines on "\n". A "\r" before the "\n" stays part of the
 * line (the inspector tolerates it, and forwarding keeps the original bytes). The buffer
 * grows only as far as one maximal line plus one read, so a peer that never sends a newline,
 * or sends one huge line, cannot make mcpcage grow without bound (threats.md §4). */
#include "relay/framer.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>


static size_t page_round(size_t n)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        return (n + page - 1) / page * page;
}

/* The buffer is its own mapping: growing it moves page tables instead of copying a large
 * line, and shrinking it gives the pages back to the kernel at once (malloc may keep them),
 * which is what keeps the peak RSS at about one maximal line. */
static int framer_resize(struct framer *f, size_t cap)
{
        void *p = f->buf ? mremap(f->buf, f->cap, cap, MREMAP_MAYMOVE)
                         : mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return -ENOMEM;
        f->buf = p;
        f->cap = cap;
        return 0;
}

int framer_init(struct framer *f, size_t max_line)
{
        *f = (struct framer){ 0 };
        if (max_line == 0 || max_line > SIZE_MAX / 4)
                return -EINVAL;
        f->max_line = max_line;
        /* A partial line is at most max_line bytes (beyond that it is being discarded), so
         * after compaction there is always room for one more full read. */
        f->cap_max = page_round(max_line + FRAMER_MIN_READ);
        return framer_resize(f, f->cap_max < FRAMER_FIRST_CAP ? f->cap_max : FRAMER_FIRST_CAP);
}

void framer_free(struct framer *f)
{
        if (f->buf)
                munmap(f->buf, f->cap);
        f->buf = NULL;
        f->cap = f->start = f->end = f->scan = 0;
}

bool framer_shrink(struct framer *f)
{
        if (f->start != f->end || f->cap <= FRAMER_FIRST_CAP)
                return false;
        if (framer_resize(f, FRAMER_FIRST_CAP) < 0)
                return false;
        f->start = f->end = f->scan = 0;
        return true;
}

static int framer_make_room(struct framer *f)
{
        if (f->start == f->end) {
                f->start = f->end = f->scan = 0;
        } else if (f->start > 0) {
                /* Only the partial tail is ever moved; complete lines were handed out in place. */
                size_t n = f->end - f->start;
                memmove(f->buf, f->buf + f->start, n);
                f->scan -= f->start;
                f->end = n;
                f->start = 0;
        }
        if (f->cap - f->end >= FRAMER_MIN_READ || f->cap >= f->cap_max)
                return 0;
        size_t cap = f->cap * 2;
        if (cap < f->end + FRAMER_MIN_READ)
                cap = page_round(f->end + FRAMER_MIN_READ);
        if (cap > f->cap_max)
                cap = f->cap_max;
        return framer_resize(f, cap);
}

int framer_space(struct framer *f, bool may_move, char **p, size_t *len)
{
        if (may_move && f->cap - f->end < FRAMER_MIN_READ) {
                int r = framer_make_room(f);
                if (r < 0)
                        return r;
        } else if (may_move && f->start == f->end) {
                /* Nothing pending: start over at the front, which keeps reads large. */
                f->start = f->end = f->scan = 0;
        }
        *p = f->buf + f->end;
        *len = f->cap - f->end;
        return 0;
}

void framer_commit(struct framer *f, size_t n)
{
        f->end += n;
}

/* The head is the line's first bytes whatever the chunking, so the id recovered from it
 * does not depend on how the pipe split the stream. */
static void framer_discard(struct framer *f, size_t n)
{
        size_t keep = FRAMER_HEAD_MAX - f->head_len;
        if (keep > n)
                keep = n;
        memcpy(f->head + f->head_len, f->buf + f->start, keep);
        f->head_len += keep;
        f->dropped += n;
        f->start += n;
}

static void framer_start_discard(struct framer *f)
{
        f->discarding = true;
        f->head_len = f->dropped = 0;
        framer_discard(f, f->end - f->start);
        f->scan = f->end;
}

static void framer_end_discard(struct framer *f, size_t tail, struct frame *out)
{
        framer_discard(f, tail);
        *out = (struct frame){ .kind = FRAME_OVERSIZE, .data = f->head, .len = f->head_len,
                               .dropped = f->dropped };
        f->discarding = false;
        f->dropped = 0;
}

bool framer_next(struct framer *f, struct frame *out)
{
        *out = (struct frame){ .kind = FRAME_NONE };
        if (f->scan == f->end)
                return false;
        char *nl = memchr(f->buf + f->scan, '\n', f->end - f->scan);
        if (!nl) {
                f->scan = f->end;
                if (f->discarding)
                        framer_discard(f, f->end - f->start);
                else if (f->end - f->start > f->max_line)
                        framer_start_discard(f);
                return false;
        }
        const char *line = f->buf + f->start;
        size_t len = (size_t)(nl - line);
        if (f->discarding)
                framer_end_discard(f, len, out);
        else if (len > f->max_line)
                *out = (struct frame){ .kind = FRAME_OVERSIZE, .data = line,
                                       .len = len < FRAMER_HEAD_MAX ? len : FRAMER_HEAD_MAX,
                                       .dropped = len };
        else
                *out = (struct frame){ .kind = FRAME_LINE, .data = line, .len = len,
                                       .terminated = true };
        f->start = f->scan = (size_t)(nl - f->buf) + 1;
        return true;
}

bool framer_finish(struct framer *f, struct frame *out)
{
        *out = (struct frame){ .kind = FRAME_NONE };
        if (f->discarding) {
                framer_end_discard(f, f->end - f->start, out);
                f->start = f->scan = f->end;
                return true;
        }
        if (f->end == f->start)
                return false;
        if (f->end - f->start > f->max_line) {
                framer_start_discard(f);
                framer_end_discard(f, 0, out);
                return true;
        }
        *out = (struct frame){ .kind = FRAME_LINE, .data = f->buf + f->start,
                               .len = f->end - f->start, .terminated = false };
        f->start = f->scan = f->end;
        return true;
}
