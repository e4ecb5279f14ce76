/* The 32-byte block decoder of jsonstr-avx2.h. Per block:
 *   1. masks of the backslashes and quotes;
 *   2. which backslashes start an escape (in a run, every second one) and which bytes are
 *      escaped; the last byte's escape carries into the next block;
 *   3. a closing quote (one not escaped) ends the string inside the block;
 *   4. every escaped byte must be one of  " \ / b f n r t  (a \u, or anything malformed,
 *      hands the block back to the scalar decoder, which decodes or refuses it);
 *   5. escaped bytes are replaced by what they stand for, the backslashes that start
 *      escapes are dropped, and the rest is packed together 8 bytes at a time (pshufb with
 *      a table of index lists, one per 8-bit keep mask).
 * test-jsonstr holds it to jansson and to the scalar decoder (malformed escapes at every
 * block offset); fuzz-redact compares it with jsonstr_decode on every string it sees. */
#include "inspect/guards/jsonstr-avx2.h"
#include "util/cpu.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* For each 8-bit keep mask: the indexes of the kept bytes in order (0x80, which pshufb
 * turns into 0, past them) and how many there are. */
static unsigned char pack_index[256][8];
static unsigned char pack_count[256];

/* Step 4's lookup: slot(c) = ((c >> 2) + (c >> 4)) & 15 gives each of the eight escape
 * letters a slot of its own; the slot holds the letter and what it decodes to. A byte is a
 * valid escape letter when it equals the letter of its slot. A slot no letter uses holds
 * '"', whose own slot is another, so no byte matches it there. */
#define SLOT(c) ((((unsigned)(c) >> 2) + ((unsigned)(c) >> 4)) & 15)
static char slot_letter[16], slot_decoded[16];

static bool usable;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_tables(void)
{
        for (unsigned k = 0; k < 256; k++) {
                unsigned n = 0;
                for (unsigned b = 0; b < 8; b++)
                        if (k >> b & 1)
                                pack_index[k][n++] = (unsigned char)b;
                pack_count[k] = (unsigned char)n;
                memset(pack_index[k] + n, 0x80, 8 - n);
        }
        static const char letters[] = "\"\\/bfnrt", decoded[] = "\"\\/\b\f\n\r\t";
        memset(slot_letter, '"', sizeof(slot_letter));
        for (size_t i = 0; i < sizeof(letters) - 1; i++) {
                slot_letter[SLOT(letters[i])] = letters[i];
                slot_decoded[SLOT(letters[i])] = decoded[i];
        }
        usable = cpu_has_avx2();
}

bool jsonstr_avx2_ready(void)
{
        pthread_once(&once, init_tables);
        return usable;
}

/* Step 2 for a block's backslash mask bs: bit i of the result when byte i is escaped (bit 32:
 * the next block's first byte), *starts the backslashes that start an escape. carry: byte 0
 * is escaped by the previous block's last byte. A backslash not escaped starts an escape;
 * runs of them (an escaped backslash, "\\\\") are rare and take the loop. */
static inline uint64_t escapes(uint64_t bs, uint64_t carry, uint64_t *starts)
{
        uint64_t b = bs & ~carry;
        if (!(b & b << 1)) {
                *starts = b;
                return b << 1 | carry;
        }
        uint64_t esc = carry, st = 0;
        while (b) {
                unsigned i = (unsigned)__builtin_ctzll(b);
                st |= 1ull << i;
                esc |= 1ull << (i + 1);
                b &= ~(3ull << i);
        }
        *starts = st;
        return esc;
}

__attribute__((target("avx2")))
static inline uint32_t specials32(__m256i x)
{
        return (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('"')),
                                                              _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\'))));
}

__attribute__((target("avx2")))
size_t jsonstr_avx2_next_special(const char *m, size_t p, size_t end)
{
        if (end - p >= 32) {
                uint32_t k = specials32(_mm256_loadu_si256((const __m256i *)(m + p)));
                if (k)
                        return p + (size_t)__builtin_ctz(k);
                /* on to the next 32-byte boundary: no load below crosses a cache line */
                p += 32 - ((uintptr_t)(m + p) & 31);
                for (; end - p >= 64; p += 64) {
                        __m256i a = _mm256_load_si256((const __m256i *)(m + p));
                        __m256i b = _mm256_load_si256((const __m256i *)(m + p + 32));
                        uint64_t both = specials32(a) | (uint64_t)specials32(b) << 32;
                        if (both)
                                return p + (size_t)__builtin_ctzll(both);
                }
                if (end - p >= 32) {
                        k = specials32(_mm256_load_si256((const __m256i *)(m + p)));
                        if (k)
                                return p + (size_t)__builtin_ctz(k);
                        p += 32;
                }
        }
        while (p < end && m[p] != '"' && m[p] != '\\')
                p++;
        return p;
}

/* Step 5's packing of 8 bytes of y, those whose bit is set in keep8, at o. */
__attribute__((target("avx2")))
static inline char *put8(char *o, __m128i y, unsigned keep8, char first)
{
        __m128i idx = _mm_add_epi8(_mm_loadl_epi64((const __m128i *)pack_index[keep8]), _mm_set1_epi8(first));
        _mm_storel_epi64((__m128i *)o, _mm_shuffle_epi8(y, idx));
        return o + pack_count[keep8];
}

__attribute__((target("avx2")))
size_t jsonstr_avx2_decode(const char *m, size_t p, size_t end, char **op)
{
        const __m256i backslash = _mm256_set1_epi8('\\'), quote = _mm256_set1_epi8('"');
        const __m256i low4 = _mm256_set1_epi8(15);
        const __m256i letters = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)slot_letter));
        const __m256i decodes = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)slot_decoded));
        /* a 32-bit mask to 32 bytes: byte i takes mask byte i / 8 and tests bit i % 8 */
        const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                                2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
        char *o = *op;
        uint64_t carry = 0;
        while (end - p >= 32) {
                __m256i x = _mm256_loadu_si256((const __m256i *)(m + p));
                uint64_t bs = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, backslash));
                uint64_t q = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, quote));
                __m256i slot = _mm256_and_si256(_mm256_add_epi8(_mm256_srli_epi16(x, 2), _mm256_srli_epi16(x, 4)), low4);
                uint64_t letter = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_shuffle_epi8(letters, slot)));
                uint64_t starts, esc = escapes(bs, carry, &starts);
                uint64_t closing = q & ~esc, len = 32;
                if (closing) {
                        len = (uint64_t)__builtin_ctzll(closing);
                        starts &= (1ull << len) - 1;
                        esc &= (1ull << len) - 1;
                }
                if (esc & ~letter & 0xffffffffull)
                        break;
                __m256i escaped = _mm256_shuffle_epi8(_mm256_set1_epi32((int)(uint32_t)esc), spread);
                escaped = _mm256_cmpeq_epi8(_mm256_and_si256(escaped, bit), bit);
                __m256i y = _mm256_blendv_epi8(x, _mm256_shuffle_epi8(decodes, slot), escaped);
                uint64_t keep = ~starts & ((1ull << len) - 1);
                __m128i y0 = _mm256_castsi256_si128(y), y1 = _mm256_extracti128_si256(y, 1);
                o = put8(o, y0, (unsigned)keep & 0xff, 0);
                o = put8(o, y0, (unsigned)(keep >> 8) & 0xff, 8);
                o = put8(o, y1, (unsigned)(keep >> 16) & 0xff, 0);
                o = put8(o, y1, (unsigned)(keep >> 24) & 0xff, 8);
                p += len;
                if (closing) {
                        *op = o;
                        return p;
                }
                carry = esc >> 32;
        }
        /* a pending escape is the scalar loop's: hand back its backslash */
        *op = o;
        return p - carry;
}

#else

/* Not x86-64: the scalar decoder of jsonstr.c does all the work. */
bool jsonstr_avx2_ready(void)
{
        return false;
}

size_t jsonstr_avx2_decode(const char *m, size_t p, size_t end, char **o)
{
        (void)m, (void)end, (void)o;
        return p;
}

size_t jsonstr_avx2_next_special(const char *m, size_t p, size_t end)
{
        while (p < end && m[p] != '"' && m[p] != '\\')
                p++;
        return p;
}

#endif
