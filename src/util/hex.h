/* Lower-case hex, for digests and random identifiers. */
#pragma once

#include <stddef.h>

/* Lower-case hex of n bytes into out (2n chars and a NUL). */
static inline void hex_encode(char *out, const unsigned char *in, size_t n)
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[in[i] >> 4];
                out[2 * i + 1] = digits[in[i] & 0xf];
        }
        out[2 * n] = '\0';
}
