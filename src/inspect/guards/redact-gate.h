/* The candidate finder of the redaction scan: which of 64 bytes could start a rule. A byte
 * is a candidate when it is the trigger byte of some anchor, when a group of four digits
 * starts there (every card, SSN and phone this catalogue matches has one), or when two
 * capitals are followed by two digits (an IBAN's country code and check digits). Each byte
 * is classified once into bit masks and the digit tests run on the masks. Where the CPU has
 * AVX2 (chosen at gate_init) 32 bytes at a time, with trigger bytes by two nibble-table
 * shuffles when they are all ASCII, and runs of blocks 64 at a time where it has AVX-512BW;
 * otherwise SSE2 (part of every x86-64) 16 at a time, the reference the wider paths must
 * equal bit for bit; a table-driven loop elsewhere. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define GATE_MAX_BYTES 32

struct gate {
        unsigned n;
        unsigned char bytes[GATE_MAX_BYTES];
        bool digits;
        /* gate_init sets them where the CPU has AVX2 / AVX-512BW (gate_blocks only); a test
         * clears them to get the narrower paths */
        bool avx2, avx512;
        /* every trigger byte < 0x80 (and enough of them to pay): nib_lo[b & 15] has bit
         * b >> 4 set for each trigger byte b, nib_hi[h] is 1 << h for h < 8, 0 above */
        bool nibbles;
        unsigned char nib_lo[16], nib_hi[16];
#if defined(__SSE2__)
        __m128i vbytes[GATE_MAX_BYTES];
#else
        uint8_t is_trigger[256];
#endif
};

/* bytes: the trigger bytes of the selected rules (at most GATE_MAX_BYTES); digits: whether
 * digit rules are selected. */
void gate_init(struct gate *g, const unsigned char *bytes, unsigned n, bool digits);

/* Bit k set: t[k] is a candidate. Reads t[-1] to t[GATE_READ - 1]: the caller guarantees
 * those bytes (a padded copy near the ends of the text). */
#define GATE_READ 80
uint64_t gate_block64(const struct gate *g, const unsigned char *t);
/* The same where only t[0..avail) may be non-zero (t[-1] still read): the caller's padded
 * copy of a text's last bytes, all zero after the text. Same result, less work. */
uint64_t gate_block_padded(const struct gate *g, const unsigned char *t, size_t avail);
/* out[k] = gate_block64(g, t + 64 * k) for k < n: reads t[-1] to t[64 * (n - 1) + GATE_READ
 * - 1]. The scan's loop over the body of a text: the AVX2 path keeps its constants in
 * registers and takes each block's look-ahead from the next block's classes. */
void gate_blocks(const struct gate *g, const unsigned char *t, size_t n, uint64_t *out);
