/* The framer: turns one side's byte stream into lines, whatever the pipe chunking. The
 * stream is read straight into the framer's buffer and complete lines are handed out as
 * pointers into it, so the common path copies nothing; only a partial tail is ever moved.
 * A line longer than max_line is discarded as it streams past and reported once with its
 * first FRAMER_HEAD_MAX bytes, so memory stays bounded at about max_line (threats.md §4:
 * "a line over message_bytes, a line with no newline for ever"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* How much of an oversize line is kept so the inspector can recover its id. */
#define FRAMER_HEAD_MAX 4096
/* The smallest read worth a syscall. */
#define FRAMER_MIN_READ (64 * 1024)
/* Reads start in a buffer this large; a bigger one is grown only for a line that needs it. */
#define FRAMER_FIRST_CAP (256 * 1024)

enum frame_kind { FRAME_NONE, FRAME_LINE, FRAME_OVERSIZE };

struct frame {
        enum frame_kind kind;
        const char *data;       /* LINE: the line without "\n"; OVERSIZE: its first bytes */
        size_t len;
        bool terminated;        /* LINE: data[len] is the "\n" (so len + 1 bytes are the wire form) */
        size_t dropped;         /* OVERSIZE: bytes discarded, the "\n" excluded */
};

struct framer {
        char *buf;
        size_t cap, cap_max;
        size_t start, end;      /* unconsumed bytes [start, end) */
        size_t scan;            /* [start, scan) is known to hold no "\n" */
        size_t max_line;
        bool discarding;        /* inside an oversize line that has not ended yet */
        size_t dropped;
        char head[FRAMER_HEAD_MAX];
        size_t head_len;
};

/* 0 or -ENOMEM / -EINVAL (max_line 0). */
int framer_init(struct framer *f, size_t max_line);
void framer_free(struct framer *f);

/* Where to read to. may_move is false while lines handed out are still referenced (queued
 * but not yet written): the buffer is then neither compacted nor reallocated, and *len may
 * be 0, meaning "do not read now". Returns 0 or -ENOMEM. */
int framer_space(struct framer *f, bool may_move, char **p, size_t *len);
void framer_commit(struct framer *f, size_t n);

/* The next event in what was committed; false (kind FRAME_NONE) when more bytes are needed.
 * A LINE stays valid until the next framer_space(may_move = true). */
bool framer_next(struct framer *f, struct frame *out);
/* At EOF, after framer_next returned false: the unterminated last line (LINE with
 * terminated = false, or OVERSIZE). False when the stream ended on a "\n". */
bool framer_finish(struct framer *f, struct frame *out);
/* Give a buffer grown for a big line back to the kernel when nothing is pending in it (and
 * no line handed out is still referenced). True when it shrank. */
bool framer_shrink(struct framer *f);
/* Bytes waiting in the buffer (an incomplete line). */
static inline size_t framer_pending(const struct framer *f) { return f->end - f->start; }
