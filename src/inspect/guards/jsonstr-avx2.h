/* Decoding the rest of a JSON string 32 bytes a step (x86-64 with AVX2), for the string
 * rewriter of jsonstr.h. Tool results carry an escape every few dozen bytes ("\n", the \"
 * of embedded JSON); the one-escape-at-a-time loop pays a mispredicted branch for each,
 * which was a quarter of redacting a message. This decodes every simple escape of a block
 * at once, with no branch that depends on where the escapes are. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Whether this CPU and build can run jsonstr_avx2_decode (checked once). */
bool jsonstr_avx2_ready(void);

/* From m[p], a byte that is not escaped, decodes into *o up to the string's closing quote
 * or to where the scalar decoder must take over: fewer than 32 bytes left before end, or
 * a block holding a \u escape or a malformed one. Returns the position reached, which is
 * never escaped: the closing quote, or a byte the scalar loop can resume at (a '\\' that
 * starts an escape, or plain text). *o advances past what was written; it may store up to
 * 8 bytes beyond that, which the caller's reserve must allow. */
size_t jsonstr_avx2_decode(const char *m, size_t p, size_t end, char **o);

/* The first '"' or '\\' at or after m[p], or end: 64 bytes a step on aligned blocks, so a
 * multi-megabyte string is scanned at the same speed wherever its buffer and this loop's
 * code happen to lie. */
size_t jsonstr_avx2_next_special(const char *m, size_t p, size_t end);
