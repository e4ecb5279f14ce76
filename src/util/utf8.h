/* One code point as UTF-8: the encoder both JSON string decoders share (the JSON-RPC
 * scanner's, inspect/jsonstr.c, and the redaction rewriter's, inspect/guards/jsonstr.c). */
#pragma once

#include <stddef.h>

/* cp (at most U+10FFFF, no surrogate: the callers map those first) written at o, which has
 * room for four bytes; returns how many it took. */
static inline size_t utf8_put(char *o, unsigned long cp)
{
        if (cp < 0x80) {
                o[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                o[0] = (char)(0xC0 | cp >> 6);
                o[1] = (char)(0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                o[0] = (char)(0xE0 | cp >> 12);
                o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
                o[2] = (char)(0x80 | (cp & 0x3F));
                return 3;
        }
        o[0] = (char)(0xF0 | cp >> 18);
        o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
}
