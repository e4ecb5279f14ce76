/* See redact-gate.h. The scan runs the gate over every 64 bytes of text, so this is the
 * floor of redaction's cost: with AVX2 about 70 instructions per block in a run of blocks
 * (gate_blocks), where SSE2 takes about 280, and no branches on the data. */
#include "inspect/guards/redact-gate.h"

#include <string.h>
#if defined(__x86_64__) && defined(__SSE2__)
#include <immintrin.h>
#endif

#include "util/cpu.h"

/* Below this many trigger bytes the compare loop (three instructions a byte per 32 bytes)
 * is cheaper than the nibble tables (eight). */
#define GATE_NIBBLE_MIN 3

void gate_init(struct gate *g, const unsigned char *bytes, unsigned n, bool digits)
{
        g->n = n > GATE_MAX_BYTES ? GATE_MAX_BYTES : n;
        memcpy(g->bytes, bytes, g->n);
        g->digits = digits;
        g->avx2 = false;
        g->avx512 = false;
#if defined(__x86_64__) && defined(__SSE2__)
        g->avx2 = cpu_has_avx2();
        g->avx512 = cpu_has_avx512bw();
#endif
        memset(g->nib_lo, 0, sizeof(g->nib_lo));
        memset(g->nib_hi, 0, sizeof(g->nib_hi));
        g->nibbles = g->n >= GATE_NIBBLE_MIN;
        for (unsigned i = 0; i < g->n; i++) {
                if (g->bytes[i] >= 0x80)
                        g->nibbles = false;
                else
                        g->nib_lo[g->bytes[i] & 15] |= (unsigned char)(1u << (g->bytes[i] >> 4));
        }
        for (unsigned h = 0; h < 8; h++)
                g->nib_hi[h] = (unsigned char)(1u << h);
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


#if defined(__x86_64__) && defined(__SSE2__)
/* Everything below is inlined into three entry points with AVX2 enabled; the trigger test is
 * a constant argument there (TRIG_*), so each loop holds only its own test, and g's fields
 * are read once (the stores to out[] could alias them: -fno-strict-aliasing). */
#define AVX2_INLINE __attribute__((target("avx2"), always_inline)) static inline

enum { TRIG_NONE, TRIG_NIBBLES, TRIG_CMP };

/* Ranges are one add and one signed compare (the add maps the range onto -128..); letters
 * are capitals once bit 0x20 is cleared, which lands in A..Z only from A..Z and a..z, so
 * letters and capitals share their constants. */
struct consts {
        __m256i dbias, dlim, ubias, ulim, case_bit, nib, lo, hi;
        const struct gate *g;
        unsigned n;
        int trig;
        bool digits;
};

AVX2_INLINE struct consts consts(const struct gate *g, int trig)
{
        return (struct consts){
                .dbias = _mm256_set1_epi8((char)(0x80 - '0')), .dlim = _mm256_set1_epi8((char)(-128 + 10)),
                .ubias = _mm256_set1_epi8((char)(0x80 - 'A')), .ulim = _mm256_set1_epi8((char)(-128 + 26)),
                .case_bit = _mm256_set1_epi8(0x20), .nib = _mm256_set1_epi8(0x0f),
                .lo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)g->nib_lo)),
                .hi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)g->nib_hi)),
                .g = g, .n = g->n, .trig = trig, .digits = g->digits,
        };
}

/* Which of 32 bytes are trigger bytes. With nibble tables: the byte's low nibble selects the
 * set of high nibbles that go with it, its high nibble one bit of that set (no bit for 8 to
 * 15: bytes >= 0x80 are never ASCII trigger bytes). */
AVX2_INLINE uint32_t trig32(const struct consts *k, __m256i x)
{
        if (k->trig == TRIG_NIBBLES) {
                __m256i a = _mm256_shuffle_epi8(k->lo, _mm256_and_si256(x, k->nib));
                __m256i b = _mm256_shuffle_epi8(k->hi, _mm256_and_si256(_mm256_srli_epi16(x, 4), k->nib));
                return ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(a, b), _mm256_setzero_si256()));
        }
        __m256i acc = _mm256_setzero_si256();
        for (unsigned i = 0; i < k->n; i++)
                acc = _mm256_or_si256(acc, _mm256_cmpeq_epi8(x, _mm256_broadcastsi128_si256(k->g->vbytes[i])));
        return (uint32_t)_mm256_movemask_epi8(acc);
}

AVX2_INLINE uint64_t mask64(__m256i lo, __m256i hi)
{
        return (uint64_t)(uint32_t)_mm256_movemask_epi8(lo) | (uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32;
}

/* One block's classes: trigger bytes, digits, capitals, and word bytes (digits and
 * letters, which keep a digit group from starting a run). */
struct classes {
        uint64_t trig, dig, up, word;
};

AVX2_INLINE struct classes classify(const struct consts *k, const unsigned char *t)
{
        struct classes c = { 0, 0, 0, 0 };
        __m256i x0 = _mm256_loadu_si256((const __m256i *)t), x1 = _mm256_loadu_si256((const __m256i *)(t + 32));
        if (k->trig != TRIG_NONE)
                c.trig = (uint64_t)trig32(k, x0) | (uint64_t)trig32(k, x1) << 32;
        if (!k->digits)
                return c;
        __m256i d0 = _mm256_cmpgt_epi8(k->dlim, _mm256_add_epi8(x0, k->dbias));
        __m256i d1 = _mm256_cmpgt_epi8(k->dlim, _mm256_add_epi8(x1, k->dbias));
        __m256i u0 = _mm256_cmpgt_epi8(k->ulim, _mm256_add_epi8(x0, k->ubias));
        __m256i u1 = _mm256_cmpgt_epi8(k->ulim, _mm256_add_epi8(x1, k->ubias));
        __m256i a0 = _mm256_cmpgt_epi8(k->ulim, _mm256_add_epi8(_mm256_andnot_si256(k->case_bit, x0), k->ubias));
        __m256i a1 = _mm256_cmpgt_epi8(k->ulim, _mm256_add_epi8(_mm256_andnot_si256(k->case_bit, x1), k->ubias));
        c.dig = mask64(d0, d1);
        c.up = mask64(u0, u1);
        c.word = mask64(_mm256_or_si256(d0, a0), _mm256_or_si256(d1, a1));
        return c;
}

/* The look-ahead of a block with no next block classified: digits at t[64..66] and a
 * capital at t[64], as bit 0 up of the masks, from one load at t + 48 (within GATE_READ). */
AVX2_INLINE void ahead(const struct consts *k, const unsigned char *t, uint64_t *d_hi, uint64_t *u_hi)
{
        __m256i x = _mm256_loadu_si256((const __m256i *)(t + 48));
        *d_hi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(k->dlim, _mm256_add_epi8(x, k->dbias))) >> 16;
        *u_hi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(k->ulim, _mm256_add_epi8(x, k->ubias))) >> 16;
}

/* block()'s digit tests on the masks. d_hi, u_hi: the next bytes' digits and capitals from
 * bit 0 (bits above 2 are shifted out); prev: whether t[-1] is a word byte. */
static inline uint64_t funnel(uint64_t lo, uint64_t hi, unsigned k)
{
        return (uint64_t)(((unsigned __int128)hi << 64 | lo) >> k);
}

static inline uint64_t digit_bits(const struct classes *c, uint64_t d_hi, uint64_t u_hi, uint64_t prev)
{
        uint64_t d1 = funnel(c->dig, d_hi, 1), d2 = funnel(c->dig, d_hi, 2), d3 = funnel(c->dig, d_hi, 3);
        uint64_t u1 = funnel(c->up, u_hi, 1);
        uint64_t lead = c->word << 1 | prev;
        uint64_t four = c->dig & d1 & d2 & d3 & ~lead;
        uint64_t iban = c->up & u1 & d2 & d3;
        return four | iban;
}

static inline uint64_t word_byte(unsigned char c)
{
        return ((unsigned)(c - '0') < 10u) | ((unsigned)((c & ~0x20u) - 'A') < 26u);
}

static int trig_mode(const struct gate *g)
{
        return !g->n ? TRIG_NONE : g->nibbles ? TRIG_NIBBLES : TRIG_CMP;
}

/* One block. Zero bytes classify as nothing, so a padded copy needs no chunk skipping,
 * except where 0 is a trigger byte: `live` keeps the trigger bits of the 16-byte chunks
 * the SSE2 path would classify, so both paths give the same bits. */
AVX2_INLINE uint64_t one_block(const struct consts *k, const unsigned char *t, uint64_t live)
{
        struct classes c = classify(k, t);
        if (!k->digits)
                return c.trig & live;
        uint64_t d_hi, u_hi;
        ahead(k, t, &d_hi, &u_hi);
        return (c.trig & live) | digit_bits(&c, d_hi, u_hi, word_byte(t[-1]));
}

/* A run of blocks: the constants stay in registers, and each block's look-ahead and
 * preceding byte come from its neighbours' classes, so every byte is classified once. */
AVX2_INLINE void run_blocks(const struct consts *k, const unsigned char *t, size_t n, uint64_t *out)
{
        if (!k->digits) {
                for (size_t i = 0; i < n; i++)
                        out[i] = classify(k, t + 64 * i).trig;
                return;
        }
        struct classes c = classify(k, t);
        uint64_t prev = word_byte(t[-1]);
        for (size_t i = 0; i + 1 < n; i++) {
                struct classes next = classify(k, t + 64 * (i + 1));
                out[i] = c.trig | digit_bits(&c, next.dig, next.up, prev);
                prev = c.word >> 63;
                c = next;
        }
        uint64_t d_hi, u_hi;
        ahead(k, t + 64 * (n - 1), &d_hi, &u_hi);
        out[n - 1] = c.trig | digit_bits(&c, d_hi, u_hi, prev);
}

/* The entry points: live = all ones for a block of text; see one_block for a padded copy. */
__attribute__((target("avx2")))
static uint64_t block_avx2(const struct gate *g, const unsigned char *t, uint64_t live)
{
        switch (trig_mode(g)) {
        case TRIG_NONE: {
                const struct consts k = consts(g, TRIG_NONE);
                return one_block(&k, t, live);
        }
        case TRIG_NIBBLES: {
                const struct consts k = consts(g, TRIG_NIBBLES);
                return one_block(&k, t, live);
        }
        default: {
                const struct consts k = consts(g, TRIG_CMP);
                return one_block(&k, t, live);
        }
        }
}

__attribute__((target("avx2")))
static void blocks_avx2(const struct gate *g, const unsigned char *t, size_t n, uint64_t *out)
{
        switch (trig_mode(g)) {
        case TRIG_NONE: {
                const struct consts k = consts(g, TRIG_NONE);
                run_blocks(&k, t, n, out);
                break;
        }
        case TRIG_NIBBLES: {
                const struct consts k = consts(g, TRIG_NIBBLES);
                run_blocks(&k, t, n, out);
                break;
        }
        default: {
                const struct consts k = consts(g, TRIG_CMP);
                run_blocks(&k, t, n, out);
                break;
        }
        }
}

/* The run of blocks again where the CPU has AVX-512BW: each class is one compare into a
 * mask register, and every block stands alone (block512), where the AVX2 run spends most
 * of its time on the scalar mask arithmetic that carries one block into the next. 8 MiB of
 * prose with the pii catalogue: 11.9 -> 23-31 GB/s here (with block512's early return).
 * Single blocks and padded copies stay with the AVX2 path; the bits are the same
 * (test-redact). */
#define AVX512_INLINE __attribute__((target("avx2,avx512f,avx512bw"), always_inline)) static inline

struct consts512 {
        __m512i zero, ten, a, n26, no_case, nib, lo, hi;
        const struct gate *g;
        unsigned n;
        int trig;
        bool digits;
};

/* _mm512_maskz_broadcast_i32x4 and _mm512_and_si512 with ~0x20, not the unmasked broadcast
 * and _mm512_andnot_si512: GCC 12's header feeds those an undefined vector, which
 * -Werror=maybe-uninitialized refuses. */
AVX512_INLINE struct consts512 consts512(const struct gate *g, int trig)
{
        return (struct consts512){
                .zero = _mm512_set1_epi8('0'), .ten = _mm512_set1_epi8(10), .a = _mm512_set1_epi8('A'),
                .n26 = _mm512_set1_epi8(26), .no_case = _mm512_set1_epi8((char)~0x20), .nib = _mm512_set1_epi8(0x0f),
                .lo = _mm512_maskz_broadcast_i32x4(0xffff, _mm_loadu_si128((const __m128i *)g->nib_lo)),
                .hi = _mm512_maskz_broadcast_i32x4(0xffff, _mm_loadu_si128((const __m128i *)g->nib_hi)),
                .g = g, .n = g->n, .trig = trig, .digits = g->digits,
        };
}

/* Which of the 64 bytes at p are in [lo, lo + n). */
AVX512_INLINE uint64_t range512(const unsigned char *p, __m512i lo, __m512i n)
{
        return _mm512_cmplt_epu8_mask(_mm512_sub_epi8(_mm512_loadu_si512((const void *)p), lo), n);
}

/* One block with no scalar step: the digit tests read the classes of t + 1..3 and of
 * t - 1 from loads at those offsets (all within t[-1] .. t[GATE_READ - 1]) instead of
 * shifting masks across blocks, so no block waits for the one before. */
AVX512_INLINE uint64_t block512(const struct consts512 *k, const unsigned char *t)
{
        uint64_t trig = 0;
        if (k->trig != TRIG_NONE) {
                __m512i x = _mm512_loadu_si512((const void *)t);
                if (k->trig == TRIG_NIBBLES) {
                        __m512i a = _mm512_shuffle_epi8(k->lo, _mm512_and_si512(x, k->nib));
                        __m512i b = _mm512_shuffle_epi8(k->hi, _mm512_and_si512(_mm512_srli_epi16(x, 4), k->nib));
                        trig = _mm512_test_epi8_mask(a, b);
                } else {
                        for (unsigned i = 0; i < k->n; i++)
                                trig |= _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8((char)k->g->bytes[i]));
                }
        }
        if (!k->digits)
                return trig;
        /* both digit tests need a digit three bytes on: most blocks of prose end here */
        uint64_t d3 = range512(t + 3, k->zero, k->ten);
        if (!d3)
                return trig;
        uint64_t d0 = range512(t, k->zero, k->ten), d1 = range512(t + 1, k->zero, k->ten);
        uint64_t d2 = range512(t + 2, k->zero, k->ten);
        uint64_t u0 = range512(t, k->a, k->n26), u1 = range512(t + 1, k->a, k->n26);
        __m512i before = _mm512_loadu_si512((const void *)(t - 1));
        uint64_t lead = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(before, k->zero), k->ten) |
                        _mm512_cmplt_epu8_mask(_mm512_sub_epi8(_mm512_and_si512(before, k->no_case), k->a), k->n26);
        return trig | (d0 & d1 & d2 & d3 & ~lead) | (u0 & u1 & d2 & d3);
}

__attribute__((target("avx2,avx512f,avx512bw")))
static void blocks_avx512(const struct gate *g, const unsigned char *t, size_t n, uint64_t *out)
{
        switch (trig_mode(g)) {
        case TRIG_NONE: {
                const struct consts512 k = consts512(g, TRIG_NONE);
                for (size_t i = 0; i < n; i++)
                        out[i] = block512(&k, t + 64 * i);
                break;
        }
        case TRIG_NIBBLES: {
                const struct consts512 k = consts512(g, TRIG_NIBBLES);
                for (size_t i = 0; i < n; i++)
                        out[i] = block512(&k, t + 64 * i);
                break;
        }
        default: {
                const struct consts512 k = consts512(g, TRIG_CMP);
                for (size_t i = 0; i < n; i++)
                        out[i] = block512(&k, t + 64 * i);
                break;
        }
        }
}
#endif

uint64_t gate_block64(const struct gate *g, const unsigned char *t)
{
#if defined(__x86_64__) && defined(__SSE2__)
        if (g->avx2)
                return block_avx2(g, t, ~UINT64_C(0));
#endif
        return block(g, t, GATE_READ);
}

uint64_t gate_block_padded(const struct gate *g, const unsigned char *t, size_t avail)
{
#if defined(__x86_64__) && defined(__SSE2__)
        if (g->avx2) {
                /* the 16-byte chunks block() would classify */
                size_t chunks = (avail + 15) / 16;
                return block_avx2(g, t, chunks >= 4 ? ~UINT64_C(0) : (UINT64_C(1) << (16 * chunks)) - 1);
        }
#endif
        return block(g, t, avail < GATE_READ ? (unsigned)avail : GATE_READ);
}

void gate_blocks(const struct gate *g, const unsigned char *t, size_t n, uint64_t *out)
{
        if (!n)
                return;
#if defined(__x86_64__) && defined(__SSE2__)
        if (g->avx512) {
                blocks_avx512(g, t, n, out);
                return;
        }
        if (g->avx2) {
                blocks_avx2(g, t, n, out);
                return;
        }
#endif
        for (size_t i = 0; i < n; i++)
                out[i] = block(g, t + 64 * i, GATE_READ);
}
