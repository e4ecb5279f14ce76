/* Rewriting the string values of one JSON text in place, byte for byte everywhere else.
 * The guards (redaction, injection stripping) must see each string as the peer will decode
 * it ("\u0073k-" is "sk-": threats.md §3), yet a clean message must leave mcpcage exactly as
 * it came, and a changed one must differ only inside the strings that changed (no
 * re-serialisation: key order, number spellings and whitespace are the server's).
 *
 * An iterator, not a callback: the caller runs whatever transforms it has on each decoded
 * value and hands back a replacement only when one changed something.
 *
 *     struct jsonstr_iter it;
 *     r = jsonstr_begin(&it, msg, len, "/result", &out, err);
 *     while ((r = jsonstr_next(&it, &text, &n, err)) > 0)
 *             if (transform(text, n, &scratch))
 *                     r = jsonstr_replace(&it, scratch.data, scratch.len);
 *     changed = jsonstr_finish(&it);      // 1: out holds the new message; 0: forward msg
 *     jsonstr_end(&it);
 *
 * Input: a complete JSON text the reader already validated (UTF-8, balanced, depth-limited);
 * the walk trusts that and only guards against running off the end. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

#define JSONSTR_MAX_DEPTH 128

struct jsonstr_frame {
        bool is_object;
        size_t index;                   /* arrays: the element's index */
        size_t key_off, key_len;        /* objects: the raw key (between its quotes) */
};

struct jsonstr_iter {
        const char *msg;
        size_t len, pos, end;           /* the walk starts at the scoped value, ends where it closes */
        int state;
        struct jsonstr_frame stack[JSONSTR_MAX_DEPTH];
        size_t depth;
        char *scope;                    /* the pointer the walk is limited to ("" = all) */
        /* the string last returned: its token [str_start, str_end) with the quotes */
        size_t str_start, str_end;
        bool str_current;
        struct buf decoded;             /* its decoded text when it had escapes */
        struct buf *out;                /* the rewritten message, built on first replace */
        size_t copied;                  /* msg bytes [0, copied) are already in out */
        bool changed;
};

/* scope: a JSON pointer ("" or "/result" or "/params/arguments"). Returns 0 when the walk
 * is ready, 1 when the scope does not exist in msg (next then returns 0 at once), or a
 * negative errno. out receives the new message only if a replacement is made; the caller
 * owns it (and should pass it empty). */
int jsonstr_begin(struct jsonstr_iter *it, const char *msg, size_t len, const char *scope,
                  struct buf *out, struct mc_error *err);
/* The next string VALUE (never an object key) in document order: 1 with its decoded text
 * (valid until the next call), 0 at the end, or a negative errno. */
int jsonstr_next(struct jsonstr_iter *it, const char **text, size_t *len, struct mc_error *err);
/* Replaces the string last returned by next() with text (encoded here). */
int jsonstr_replace(struct jsonstr_iter *it, const char *text, size_t len);
/* The JSON pointer of the string last returned ("/result/content/0/text"), for the audit;
 * appended to path. */
int jsonstr_path(const struct jsonstr_iter *it, struct buf *path);
/* 1 when something was replaced (out now holds the complete new text), 0 when not. */
int jsonstr_finish(struct jsonstr_iter *it);
void jsonstr_end(struct jsonstr_iter *it);

/* Building blocks, exported for the guards and their tests. */
/* Decodes the raw bytes between a string's quotes into out (appended). */
int jsonstr_decode(const char *raw, size_t len, struct buf *out);
/* Appends text as a JSON string token, quotes included. */
int jsonstr_encode(const char *text, size_t len, struct buf *out);
/* Finds the value at pointer: 1 and its [start, end) bytes, 0 when absent. */
int jsonstr_locate(const char *msg, size_t len, const char *pointer, size_t *start, size_t *end);
