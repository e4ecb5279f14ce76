/* A growable byte buffer. The owner frees it with buf_free() (or _cleanup_buf_). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct buf {
        char *data;
        size_t len, cap;
};

int buf_reserve(struct buf *b, size_t extra);              /* 0 or -ENOMEM */
int buf_append(struct buf *b, const void *p, size_t n);    /* 0 or -ENOMEM */
int buf_append_str(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_consume(struct buf *b, size_t n);                 /* drop n bytes from the front */
static inline void buf_reset(struct buf *b) { b->len = 0; }
void buf_free(struct buf *b);
static inline void buf_freep(struct buf *b) { buf_free(b); }
#define _cleanup_buf_ __attribute__((cleanup(buf_freep)))
