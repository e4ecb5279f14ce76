/* See redact-gate.h. The scan calls gate_block64 on every 64 bytes of text, so this loop is
 * the floor of redaction's cost: a few compares per 16 bytes, no branches. */
#include "inspect/guards/redact-gate.h"

#include <string.h>

void gate_init(struct gate *g, const unsigned char *bytes, unsigned n, bool digits)
{
        g->n = n > GATE_MAX_BYTES ? GATE_MAX_BYTES : n;
        memcpy(g->bytes, bytes, g->n);
        g->digits = digits;
#if defined(__SSE2__)
        for (unsigned i = 0; i < g->n; i++)
                g->vbytes[i] = _mm_set1_epi8((char)g->bytes[i]);
#else
        memset(g->is_trigger, 0, sizeof(g->is_trigger));
        for (unsigned i = 0; i < g->n; i++)
                g->is_trigger[g->bytes[i]] = 1;
#endif
}

#if defined(__SSE2__)
static inline __m128i in_range(__m128i x, char lo, char n)
{
        __m128i d = _mm_sub_epi8(x, _mm_set1_epi8(lo));
        return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8((char)(n - 1))), d);
}

static inline uint64_t mask16(__m128i m)
{
        return (uint64_t)(unsigned)_mm_movemask_epi8(m);
}

/* Per 16 bytes: trigger bytes, digits, capitals, letters, as bit masks. */
static inline void classes16(const struct gate *g, const unsigned char *t, uint64_t *trig,
                             uint64_t *dig, uint64_t *up, uint64_t *alpha)
{
        __m128i x = _mm_loadu_si128((const __m128i *)t);
        __m128i acc = _mm_setzero_si128();
        for (unsigned i = 0; i < g->n; i++)
                acc = _mm_or_si128(acc, _mm_cmpeq_epi8(x, g->vbytes[i]));
        *trig = mask16(acc);
        if (!g->digits)
                return;
        __m128i u = in_range(x, 'A', 26);
        *dig = mask16(in_range(x, '0', 10));
        *up = mask16(u);
        *alpha = mask16(_mm_or_si128(u, in_range(x, 'a', 26)));
}
#else
static inline void classes16(const struct gate *g, const unsigned char *t, uint64_t *trig,
                             uint64_t *dig, uint64_t *up, uint64_t *alpha)
{
        *trig = *dig = *up = *alpha = 0;
        for (unsigned k = 0; k < 16; k++) {
                unsigned char c = t[k];
                *trig |= (uint64_t)g->is_trigger[c] << k;
                *dig |= (uint64_t)(c >= '0' && c <= '9') << k;
                *up |= (uint64_t)(c >= 'A' && c <= 'Z') << k;
                *alpha |= (uint64_t)((c | 0x20) >= 'a' && (c | 0x20) <= 'z') << k;
        }
}
#endif

/* The digit tests run on bit masks: one classification per byte, then shifts. Chunks that
 * start at or after `avail` hold only zero padding, which classifies as nothing, so they are
 * not classified at all (a short string costs one chunk, not five). The chunk at 64 only
 * feeds the look-ahead of the digit tests. */
static uint64_t block(const struct gate *g, const unsigned char *t, unsigned avail)
{
        uint64_t trig = 0, dig = 0, up = 0, alpha = 0, d_hi = 0, u_hi = 0;
        unsigned end = g->digits ? 80 : 64;
        if (avail < end)
                end = avail;
        for (unsigned k = 0; k < end; k += 16) {
                uint64_t tr, d = 0, u = 0, al = 0;
                classes16(g, t + k, &tr, &d, &u, &al);
                if (k == 64) {
                        d_hi = d;
                        u_hi = u;
                        break;
                }
                trig |= tr << k;
                dig |= d << k;
                up |= u << k;
                alpha |= al << k;
        }
        if (!g->digits)
                return trig;
        uint64_t d1 = dig >> 1 | d_hi << 63, d2 = dig >> 2 | d_hi << 62, d3 = dig >> 3 | d_hi << 61;
        uint64_t u1 = up >> 1 | u_hi << 63;
        /* the byte before: bit 0 comes from t[-1] */
        unsigned char pc = t[-1];
        uint64_t lead_prev = (pc >= '0' && pc <= '9') || ((pc | 0x20) >= 'a' && (pc | 0x20) <= 'z');
        uint64_t lead = (dig | alpha) << 1 | lead_prev;
        uint64_t four = dig & d1 & d2 & d3 & ~lead;
        uint64_t iban = up & u1 & d2 & d3;
        return trig | four | iban;
}

uint64_t gate_block64(const struct gate *g, const unsigned char *t)
{
        return block(g, t, GATE_READ);
}

uint64_t gate_block_padded(const struct gate *g, const unsigned char *t, size_t avail)
{
        return block(g, t, avail < GATE_READ ? (unsigned)avail : GATE_READ);
}
