/* The injection scanner of injection.h: one pass over a decoded string. Only ESC, '<', '[',
 * a byte >= 0x80 and a word start whose first two letters begin some phrase anchor lead
 * anywhere else; the pass finds them 16 bytes at a time (SSE2, the x86-64 baseline) or a
 * byte at a time with two table lookups elsewhere, so ordinary text moves at memory speed
 * (tool results of many MiB pass through here: threats.md §3 must not cost the relay). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "inspect/guards/injection.h"

#include <errno.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__SSE2__)
#include <immintrin.h>
#endif

#include "util/cleanup.h"
#include "util/cpu.h"

struct injection {
        pcre2_code *phrase;             /* anchored at a word start the pass found */
        pcre2_code *sensitive;          /* descriptions: paths to credentials */
        pcre2_code *redirect;           /* descriptions: orders to use other tools */
        pcre2_match_data *md;
};

/* "ignore previous instructions" and its variants (threats.md §3); tried only where a
 * word starts with one of ANCHORS, anchored there. */
static const char PHRASE_RE[] =
        "(?:(?:ignore|disregard|forget|override|bypass|skip)\\s+(?:\\w+\\s+){0,3}?"
        "(?:previous|prior|above|earlier|preceding|all|any|your|the|system|original|initial|these|those)"
        "\\s+(?:\\w+\\s+){0,2}?(?:instructions?|prompts?|rules|directions|guidelines|guidance|context|"
        "messages?|commands?|constraints|restrictions)\\b"
        "|(?:ignore|disregard|forget)\\s+(?:everything|anything|all)\\s+(?:above|before|prior|previously|"
        "you\\s+(?:were|have\\s+been)\\s+told)"
        "|you\\s+are\\s+now\\s+(?:a|an|in|the|no\\s+longer|dan|free|unrestricted|jailbroken)\\b"
        "|new\\s+(?:system\\s+)?instructions?\\s*:"
        "|system\\s+(?:prompt|override|message)\\s*:"
        "|(?:do\\s+not|don'?t|never)\\s+(?:tell|inform|mention|reveal|show|disclose|notify|alert)\\s+"
        "(?:\\w+\\s+){0,3}?(?:the\\s+)?user\\b)";

/* The words a phrase starts with, long enough that ordinary prose ("over", "you",
 * "new") rarely gets as far as the regex. White space compares as ' '. */
static const char *const ANCHORS[] = {
        "ignor", "disregard", "forget", "overrid", "bypass", "skip ", "you are now", "new instruction",
        "new system", "system prompt", "system override", "system message", "do not ", "don't ", "dont ",
        "never ",
};

/* Tool poisoning (threats.md §3): a description that sends the model to credentials. */
static const char SENSITIVE_RE[] =
        "(?:/\\.(?:ssh|aws|gnupg|kube|docker|azure|config/gcloud)\\b"
        "|(?:^|[\\s'\"`(])\\.(?:ssh|aws|gnupg)/"
        "|\\bid_(?:rsa|dsa|ecdsa|ed25519)\\b"
        "|(?:^|[\\s'\"`(/])\\.env\\b"
        "|/etc/(?:shadow|passwd|sudoers)\\b"
        "|(?:^|[\\s'\"`(/])\\.(?:netrc|git-credentials|npmrc|pypirc|pgpass)\\b"
        "|claude_desktop_config\\.json|\\bmcp\\.json\\b)";

/* ... or to other tools, or to smuggle data out through a parameter. */
static const char REDIRECT_RE[] =
        "(?:\\b(?:first|always|must|also|then|please)\\s+(?:call|invoke|run|use|execute)\\s+(?:the\\s+)?"
        "[`'\"]?[\\w.-]+[`'\"]?\\s+tool\\b"
        "|\\b(?:call|invoke|use|run)\\s+(?:the\\s+)?[`'\"]?[\\w.-]+[`'\"]?\\s+tool\\s+"
        "(?:first|before|instead|afterwards)\\b"
        "|\\b(?:pass|send|include|put|add)\\s+(?:\\w+\\s+){0,5}?(?:as|in|into)\\s+(?:the\\s+)?"
        "(?:[`'\"]\\w+[`'\"]|\\w+\\s+(?:parameter|argument|field)\\b)"
        "|\\bwhen(?:ever)?\\s+(?:this|the|any)\\s+(?:\\w+\\s+)?tool\\s+is\\s+(?:available|present|called|used)\\b)";

enum { A_ALNUM = 1, A_ANCHOR = 2, A_TAG = 4 };

static unsigned char ascii_class(unsigned char c)
{
        unsigned char k = 0;
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
                k |= A_ALNUM;
        if (strchr("idfobsynIDFOBSYN", c) && c)
                k |= A_ANCHOR;
        if (c == '<' || c == '[')
                k |= A_TAG;
        return k;
}

static unsigned char ASCII[128];
static unsigned char LOWER[256];                /* case and white space folded */
static uint32_t ANCHOR4[ARRAY_SIZE(ANCHORS)];   /* each anchor's first 4 bytes */
/* PAIR[a][b]: some anchor starts with the folded bytes a, b. One lookup rejects nearly
 * every word start of ordinary prose before any anchor is compared. */
static uint8_t PAIR[256][32];
/* The distinct first two letters of the anchors, for the vector pass. There a byte is
 * folded with | 0x20, which equals LOWER only for letters: every anchor must start with
 * two letters a-z, and the pairs must fit its groups (injection_new refuses otherwise, so
 * a new anchor that breaks this fails every test instead of going unseen). */
static unsigned char PAIRS[ARRAY_SIZE(ANCHORS)][2];
static size_t n_pairs;
static bool vector_ok = true;
/* The pass that finds where the scan has something to look at, by width: each must give
 * the same findings (test-injection runs every one the CPU has, by cpu_simd_limit, on the
 * same texts). Chosen once per scan. */
enum event_pass { PASS_BYTES, PASS_SSE2, PASS_AVX2, PASS_AVX512 };

static uint32_t fold4(const unsigned char *p)
{
        return (uint32_t)LOWER[p[0]] | (uint32_t)LOWER[p[1]] << 8 | (uint32_t)LOWER[p[2]] << 16 |
               (uint32_t)LOWER[p[3]] << 24;
}

#if defined(__SSE2__)
/* PAIRS grouped by first letter, as broadcast vectors: group k is the first letter
 * VFIRST[k] with the second letters VSECOND[k][...]; unused slots stay 0, which a byte
 * folded with | 0x20 never equals. Fixed sizes (two second letters per group), so the
 * pass is straight-line code. */
#define VGROUPS 8
#define VSECONDS 2
static __m128i VFIRST[VGROUPS], VSECOND[VGROUPS][VSECONDS];
/* The same groups as nibble tables for a byte shuffle (the AVX2 pass): bit k of
 * NIB_FIRST[0][c & 15] & NIB_FIRST[1][c >> 4] is set exactly when c is group k's first
 * letter; NIB_SECOND likewise for its second letters, a superset when a group has two
 * (phrase_at tests the pair again, so a stray candidate only costs that test). */
static uint8_t NIB_FIRST[2][16], NIB_SECOND[2][16];

static void vector_init(void)
{
        unsigned char first[VGROUPS];
        size_t n_first = 0, n_second[VGROUPS] = { 0 };
        for (size_t a = 0; a < n_pairs && vector_ok; a++) {
                size_t k = 0;
                while (k < n_first && first[k] != PAIRS[a][0])
                        k++;
                if (k == VGROUPS || (k < n_first && n_second[k] == VSECONDS)) {
                        vector_ok = false;
                        break;
                }
                if (k == n_first) {
                        first[n_first++] = PAIRS[a][0];
                        VFIRST[k] = _mm_set1_epi8((char)PAIRS[a][0]);
                        NIB_FIRST[0][PAIRS[a][0] & 15] |= (uint8_t)(1u << k);
                        NIB_FIRST[1][PAIRS[a][0] >> 4] |= (uint8_t)(1u << k);
                }
                VSECOND[k][n_second[k]++] = _mm_set1_epi8((char)PAIRS[a][1]);
                NIB_SECOND[0][PAIRS[a][1] & 15] |= (uint8_t)(1u << k);
                NIB_SECOND[1][PAIRS[a][1] >> 4] |= (uint8_t)(1u << k);
        }
}
#endif

static void ascii_init(void)
{
        for (unsigned c = 0; c < 256; c++)
                LOWER[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : (c == '\t' || c == '\n' || c == '\r') ? ' ' : c);
        for (unsigned c = 0; c < 128; c++)
                ASCII[c] = ascii_class((unsigned char)c);
        for (size_t a = 0; a < ARRAY_SIZE(ANCHORS); a++) {
                const unsigned char *an = (const unsigned char *)ANCHORS[a];
                ANCHOR4[a] = fold4(an);
                for (unsigned x = 0; x < 256; x++)
                        for (unsigned y = 0; LOWER[x] == an[0] && y < 256; y++)
                                if (LOWER[y] == an[1])
                                        PAIR[x][y >> 3] |= (uint8_t)(1u << (y & 7));
                if (an[0] < 'a' || an[0] > 'z' || an[1] < 'a' || an[1] > 'z')
                        vector_ok = false;
                size_t k = 0;
                while (k < n_pairs && (PAIRS[k][0] != an[0] || PAIRS[k][1] != an[1]))
                        k++;
                if (k == n_pairs) {
                        PAIRS[k][0] = an[0];
                        PAIRS[k][1] = an[1];
                        n_pairs++;
                }
        }
#if defined(__SSE2__)
        vector_init();
#endif
}

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static enum event_pass event_pass(void)
{
#if defined(__x86_64__) && defined(__SSE2__)
        if (cpu_has_avx512bw())
                return PASS_AVX512;
        if (cpu_has_avx2())
                return PASS_AVX2;
#endif
#if defined(__SSE2__)
        if (cpu_simd_features() & CPU_SSE2)
                return PASS_SSE2;
#endif
        return PASS_BYTES;
}

static bool pair_at(const unsigned char *s)
{
        return PAIR[s[0]][s[1] >> 3] & (1u << (s[1] & 7));
}

static int compile(const char *re, uint32_t opts, pcre2_code **out, struct mc_error *err)
{
        int ec;
        PCRE2_SIZE off;
        *out = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts | PCRE2_CASELESS, &ec, &off, NULL);
        if (!*out)
                return mc_error_set(err, EINVAL, "injection: pattern does not compile at %zu (%d)",
                                    (size_t)off, ec);
        pcre2_jit_compile(*out, PCRE2_JIT_COMPLETE); /* without JIT it still works, slower */
        return 0;
}

int injection_new(struct injection **out, struct mc_error *err)
{
        pthread_once(&tables_once, ascii_init);
#if defined(__SSE2__)
        if (!vector_ok)
                return mc_error_set(err, EINVAL, "injection: the phrase anchors do not fit the vector "
                                    "pass (two letters a-z, %d first letters, %d second letters each)",
                                    VGROUPS, VSECONDS);
#endif
        struct injection *g = calloc(1, sizeof(*g));
        if (!g)
                return mc_error_set(err, ENOMEM, "injection: out of memory");
        int r = compile(PHRASE_RE, PCRE2_ANCHORED, &g->phrase, err);
        if (r >= 0)
                r = compile(SENSITIVE_RE, 0, &g->sensitive, err);
        if (r >= 0)
                r = compile(REDIRECT_RE, 0, &g->redirect, err);
        if (r >= 0 && !(g->md = pcre2_match_data_create(4, NULL)))
                r = mc_error_set(err, ENOMEM, "injection: out of memory");
        if (r < 0) {
                injection_free(g);
                return r;
        }
        *out = g;
        return 0;
}

void injection_free(struct injection *g)
{
        if (!g)
                return;
        pcre2_code_free(g->phrase);
        pcre2_code_free(g->sensitive);
        pcre2_code_free(g->redirect);
        pcre2_match_data_free(g->md);
        free(g);
}

const char *injection_class_name(enum injection_class c)
{
        static const char *const names[INJ_N_CLASSES] = {
                "hidden_unicode", "bidi_control", "ansi_escape", "pseudo_tag", "instruction_phrase",
                "sensitive_path", "tool_redirect",
        };
        return (unsigned)c < INJ_N_CLASSES ? names[c] : "unknown";
}

/* ---- code points ----------------------------------------------------------------------- */

/* Decoded strings are UTF-8 the reader validated; anything else counts as one byte. */
static uint32_t utf8_at(const unsigned char *s, size_t len, size_t i, size_t *n)
{
        unsigned c = s[i];
        *n = 1;
        if (c < 0x80)
                return c;
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (need == 1 || i + need > len)
                return 0xFFFD;
        uint32_t cp = c & (0x7Fu >> need);
        for (size_t k = 1; k < need; k++) {
                if ((s[i + k] & 0xC0) != 0x80)
                        return 0xFFFD;
                cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        *n = need;
        return cp;
}

/* Characters that render as nothing; the model still reads them (ASCII smuggled as tags). */
static bool is_invisible(uint32_t cp)
{
        return cp == 0x00AD || cp == 0x034F || cp == 0x115F || cp == 0x1160 || cp == 0x17B4 ||
               cp == 0x17B5 || cp == 0x180E || (cp >= 0x200B && cp <= 0x200D) ||
               (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x206A && cp <= 0x206F) || cp == 0x3164 ||
               cp == 0xFEFF || cp == 0xFFA0 || (cp >= 0xFFF9 && cp <= 0xFFFB) ||
               (cp >= 0x1BCA0 && cp <= 0x1BCA3) || (cp >= 0x1D173 && cp <= 0x1D17A) ||
               (cp >= 0xE0000 && cp <= 0xE007F);
}

static bool is_variation_selector(uint32_t cp)
{
        return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}

/* Trojan Source (CVE-2021-42574): text that displays in another order than it reads. */
static bool is_bidi_override(uint32_t cp)
{
        return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static bool is_bidi_mark(uint32_t cp)
{
        return cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

static bool is_rtl(uint32_t cp)
{
        return (cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) ||
               (cp >= 0xFE70 && cp <= 0xFEFC) || (cp >= 0x10800 && cp <= 0x10FFF) ||
               (cp >= 0x1E800 && cp <= 0x1EFFF);
}

/* ---- units: one character, or one whole escape sequence --------------------------------- */

struct walk {
        const unsigned char *s;
        size_t len;
        int rtl;                /* the string holds right-to-left script: -1 not known yet */
};

/* The end of an OSC/DCS/SOS/PM/APC string: BEL, ESC \ or ST (U+009C); unterminated runs to
 * the end (a terminal would swallow it all the same). */
static size_t string_end(const unsigned char *s, size_t len, size_t j)
{
        for (; j < len; j++) {
                if (s[j] == 0x07)
                        return j + 1;
                if (s[j] == 0x1b && j + 1 < len && s[j + 1] == '\\')
                        return j + 2;
                if (s[j] == 0xC2 && j + 1 < len && s[j + 1] == 0x9C)
                        return j + 2;
        }
        return len;
}

static size_t csi_end(const unsigned char *s, size_t len, size_t j)
{
        while (j < len && s[j] >= 0x20 && s[j] <= 0x3F)
                j++;
        return j < len && s[j] >= 0x40 && s[j] <= 0x7E ? j + 1 : j;
}

static size_t esc_len(const unsigned char *s, size_t len, size_t i)
{
        size_t j = i + 1;
        if (j >= len)
                return 1;
        unsigned char c = s[j];
        if (c == '[')
                return csi_end(s, len, j + 1) - i;
        if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
                return string_end(s, len, j + 1) - i;
        while (j < len && s[j] >= 0x20 && s[j] <= 0x2F) /* ESC ( B: intermediates, then final */
                j++;
        return j < len && s[j] >= 0x30 && s[j] <= 0x7E ? j + 1 - i : j - i;
}

static size_t c1_len(const unsigned char *s, size_t len, size_t i, uint32_t cp)
{
        if (cp == 0x9B)
                return csi_end(s, len, i + 2) - i;
        if (cp == 0x9D || cp == 0x90 || cp == 0x98 || cp == 0x9E || cp == 0x9F)
                return string_end(s, len, i + 2) - i;
        return 2;
}

/* U+1F3F4 followed by up to 7 tag letters and CANCEL TAG is a subdivision flag (England,
 * Scotland, Wales): the bytes of that run, else 0. */
static size_t flag_tags_len(const unsigned char *s, size_t len, size_t j)
{
        size_t start = j, n;
        for (int count = 0; j < len && count <= 7; count++) {
                uint32_t cp = utf8_at(s, len, j, &n);
                if (cp == 0xE007F)
                        return count ? j + n - start : 0;
                if (cp < 0xE0020 || cp > 0xE007E)
                        return 0;
                j += n;
        }
        return 0;
}

static bool visible_script(uint32_t cp)
{
        return cp >= 0x0590 && !is_invisible(cp);
}

/* ZWJ/ZWNJ between two characters of another script or two emoji is how those are
 * written (Persian, Indic, 👨‍👩‍👧); between Latin letters it only hides text. */
static bool joiner_ok(const struct walk *w, uint32_t prev, size_t next)
{
        size_t n;
        return visible_script(prev) && next < w->len && visible_script(utf8_at(w->s, w->len, next, &n));
}

static bool has_rtl(struct walk *w)
{
        if (w->rtl < 0) {
                w->rtl = 0;
                for (size_t i = 0, n; i < w->len; i += n) {
                        /* code points below U+0590 start with a byte below 0xD6 */
                        if (w->s[i] < 0xD6) {
                                n = 1;
                                continue;
                        }
                        if (is_rtl(utf8_at(w->s, w->len, i, &n))) {
                                w->rtl = 1;
                                break;
                        }
                }
        }
        return w->rtl;
}

/* The code point before s[i] (0 at the start), read back over at most 3 continuation
 * bytes: only joiners and variation selectors ask. */
static uint32_t prev_cp(const struct walk *w, size_t i)
{
        if (!i)
                return 0;
        size_t j = i - 1, n;
        while (j > 0 && i - j < 4 && (w->s[j] & 0xC0) == 0x80)
                j--;
        return utf8_at(w->s, w->len, j, &n);
}

/* The unit at s[i] (ESC or a byte >= 0x80): its length in *n and its class, or -1 for
 * ordinary text. */
static int unit_at(struct walk *w, size_t i, size_t *n)
{
        const unsigned char *s = w->s;
        if (s[i] == 0x1b) {
                *n = esc_len(s, w->len, i);
                return INJ_ANSI_ESCAPE;
        }
        uint32_t cp = utf8_at(s, w->len, i, n);
        if (cp >= 0x80 && cp <= 0x9F) {
                *n = c1_len(s, w->len, i, cp);
                return INJ_ANSI_ESCAPE;
        }
        if (cp < 0xAD)
                return -1;
        if (cp == 0x1F3F4) {
                *n += flag_tags_len(s, w->len, i + *n);
                return -1;
        }
        if (cp == 0x200C || cp == 0x200D)
                return joiner_ok(w, prev_cp(w, i), i + *n) ? -1 : INJ_HIDDEN_UNICODE;
        if (cp == 0xFEFF && i == 0)
                return -1; /* a byte order mark at the start of a file's text */
        if (is_variation_selector(cp))
                return is_variation_selector(prev_cp(w, i)) ? INJ_HIDDEN_UNICODE : -1;
        if (is_invisible(cp))
                return INJ_HIDDEN_UNICODE;
        if (is_bidi_override(cp))
                return INJ_BIDI_CONTROL;
        if (is_bidi_mark(cp))
                return has_rtl(w) ? -1 : INJ_BIDI_CONTROL;
        return -1;
}

/* ---- pseudo-tags and phrases ------------------------------------------------------------- */

struct tag_name {
        const char *name;
        bool square_any_case;   /* "[inst]" is a chat template token in any case; "[System]"
                                 * is an ordinary Markdown link text unless it is shouted */
};

static const struct tag_name TAGS[] = {
        { "important", false }, { "system", false }, { "sys", true }, { "inst", true },
        { "instructions", false }, { "im_start", true }, { "im_end", true }, { "admin", false },
        { "system-reminder", false }, { "system_prompt", false }, { "user_instructions", false },
};

static bool pseudo_tag_at(const unsigned char *s, size_t len, size_t i)
{
        bool square = s[i] == '[';
        size_t j = i + 1;
        if (j < len && (s[j] == '/' || s[j] == '|' || s[j] == s[i]))
                j++;
        char name[24];
        size_t n = 0;
        bool upper = true;
        for (; j < len && n < sizeof(name) - 1; j++) {
                unsigned char c = s[j];
                if (c >= 'a' && c <= 'z')
                        upper = false;
                else if (!((c >= 'A' && c <= 'Z') || c == '_' || c == '-'))
                        break;
                name[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        name[n] = '\0';
        if (n < 3 || j >= len)
                return false;
        unsigned char end = s[j];
        if (square ? end != ']' : (end != '>' && end != '|' && end != ' '))
                return false;
        for (size_t k = 0; k < ARRAY_SIZE(TAGS); k++)
                if (!strcmp(TAGS[k].name, name))
                        return !square || upper || TAGS[k].square_any_case;
        return false;
}

static bool anchor_at(const unsigned char *s, size_t len, size_t i, const char *a)
{
        for (; *a; a++, i++)
                if (i >= len || LOWER[s[i]] != (unsigned char)*a)
                        return false;
        return true;
}

static int phrase_at(struct injection *g, const unsigned char *s, size_t len, size_t i)
{
        if (len - i < 4 || !pair_at(s + i))
                return 0;
        uint32_t w = fold4(s + i);
        size_t a = 0;
        while (a < ARRAY_SIZE(ANCHORS) && (ANCHOR4[a] != w || !anchor_at(s, len, i, ANCHORS[a])))
                a++;
        if (a == ARRAY_SIZE(ANCHORS))
                return 0;
        int r = pcre2_match(g->phrase, s, len, i, 0, g->md, NULL);
        if (r == PCRE2_ERROR_NOMATCH)
                return 0;
        return r < 0 ? -EIO : 1;
}

static int search(struct injection *g, pcre2_code *re, const char *text, size_t len)
{
        int r = pcre2_match(re, (PCRE2_SPTR)text, len, 0, 0, g->md, NULL);
        if (r == PCRE2_ERROR_NOMATCH)
                return 0;
        return r < 0 ? -EIO : 1;
}

/* A phrase can only start at a word start: after a byte that is not a word character. */
static int word_start(struct injection *g, const unsigned char *s, size_t len, size_t i, unsigned *f)
{
        if (i >= len || s[i] >= 0x80 || !(ASCII[s[i]] & A_ANCHOR) || (*f & (1u << INJ_PHRASE)))
                return 0;
        int r = phrase_at(g, s, len, i);
        if (r > 0)
                *f |= 1u << INJ_PHRASE;
        return r < 0 ? r : 0;
}

/* A byte a word can follow: ASCII, no word character, no ESC (an escape sequence is a unit
 * of its own; after it the scan asks for a word start itself). */
static bool is_sep(unsigned char c)
{
        return c < 0x80 && c != 0x1b && !(ASCII[c] & A_ALNUM);
}

/* Where the scan has something to look at from i on: ESC, '<', '[', a byte >= 0x80, or
 * (words) a word start whose first two bytes begin an anchor. len when nothing is left. */
static size_t next_event_bytes(const unsigned char *s, size_t len, size_t i, bool words)
{
        for (; i < len; i++) {
                unsigned char c = s[i];
                if (c >= 0x80 || c == 0x1b || c == '<' || c == '[')
                        return i;
                if (words && i > 0 && len - i >= 4 && is_sep(s[i - 1]) && pair_at(s + i))
                        return i;
        }
        return len;
}

#if defined(__SSE2__)
/* The same 16 bytes at a time. A word start is a byte after a separator (the carry holds
 * the last separator bit across blocks) whose folded pair is in PAIRS; it may still fail
 * phrase_at's length and anchor tests, which word_start makes. */
static size_t next_event_sse2(const unsigned char *s, size_t len, size_t i, bool words)
{
        const __m128i esc = _mm_set1_epi8(0x1b), lt = _mm_set1_epi8('<'), lb = _mm_set1_epi8('['),
                      fold = _mm_set1_epi8(0x20), us = _mm_set1_epi8('_'),
                      abias = _mm_set1_epi8((char)(0x80 - 'a')), alim = _mm_set1_epi8((char)(-128 + 26)),
                      dbias = _mm_set1_epi8((char)(0x80 - '0')), dlim = _mm_set1_epi8((char)(-128 + 10));
        unsigned carry = i > 0 && is_sep(s[i - 1]);
        for (; i + 17 <= len; i += 16) {
                __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
                __m128i e = _mm_cmpeq_epi8(v, esc);
                unsigned high = (unsigned)_mm_movemask_epi8(v);
                unsigned m = high | (unsigned)_mm_movemask_epi8(
                        _mm_or_si128(e, _mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, lb))));
                if (words) {
                        __m128i f = _mm_or_si128(v, fold);
                        __m128i f1 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(s + i + 1)), fold);
                        __m128i alpha = _mm_cmplt_epi8(_mm_add_epi8(f, abias), alim);
                        __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(v, dbias), dlim);
                        __m128i word = _mm_or_si128(_mm_or_si128(alpha, digit), _mm_or_si128(_mm_cmpeq_epi8(v, us), e));
                        unsigned sep = ~(high | (unsigned)_mm_movemask_epi8(word)) & 0xffffu;
                        unsigned after = ((sep << 1) | carry) & 0xffffu;
                        carry = sep >> 15;
                        __m128i hit = _mm_setzero_si128();
#pragma GCC unroll 8
                        for (size_t k = 0; k < VGROUPS; k++) {
                                __m128i sec = _mm_or_si128(_mm_cmpeq_epi8(f1, VSECOND[k][0]),
                                                           _mm_cmpeq_epi8(f1, VSECOND[k][1]));
                                hit = _mm_or_si128(hit, _mm_and_si128(_mm_cmpeq_epi8(f, VFIRST[k]), sec));
                        }
                        m |= after & (unsigned)_mm_movemask_epi8(hit);
                }
                if (m)
                        return i + (size_t)__builtin_ctz(m);
        }
        return next_event_bytes(s, len, i, words);
}
#endif

#if defined(__x86_64__) && defined(__SSE2__)
/* next_event_sse2 32 bytes at a time, where the CPU has AVX2 (most x86-64 since 2013),
 * with the pair test as four byte shuffles on nibble tables (NIB_FIRST, NIB_SECOND)
 * instead of three compares per group: a quarter of the instructions per byte of the
 * SSE2 pass, which matters on a multi-megabyte result. */
__attribute__((target("avx2")))
static size_t next_event_avx2(const unsigned char *s, size_t len, size_t i, bool words)
{
        const __m256i esc = _mm256_set1_epi8(0x1b), lt = _mm256_set1_epi8('<'), lb = _mm256_set1_epi8('['),
                      fold = _mm256_set1_epi8(0x20), us = _mm256_set1_epi8('_'),
                      abias = _mm256_set1_epi8((char)(0x80 - 'a')), alim = _mm256_set1_epi8((char)(-128 + 26)),
                      dbias = _mm256_set1_epi8((char)(0x80 - '0')), dlim = _mm256_set1_epi8((char)(-128 + 10)),
                      nib = _mm256_set1_epi8(0x0f),
                      flo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)NIB_FIRST[0])),
                      fhi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)NIB_FIRST[1])),
                      slo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)NIB_SECOND[0])),
                      shi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)NIB_SECOND[1]));
        uint32_t carry = i > 0 && is_sep(s[i - 1]);
        for (; i + 33 <= len; i += 32) {
                __m256i v = _mm256_loadu_si256((const __m256i *)(s + i));
                __m256i e = _mm256_cmpeq_epi8(v, esc);
                uint32_t high = (uint32_t)_mm256_movemask_epi8(v);
                uint32_t m = high | (uint32_t)_mm256_movemask_epi8(
                        _mm256_or_si256(e, _mm256_or_si256(_mm256_cmpeq_epi8(v, lt), _mm256_cmpeq_epi8(v, lb))));
                if (words) {
                        __m256i f = _mm256_or_si256(v, fold);
                        __m256i f1 = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(s + i + 1)), fold);
                        __m256i alpha = _mm256_cmpgt_epi8(alim, _mm256_add_epi8(f, abias));
                        __m256i digit = _mm256_cmpgt_epi8(dlim, _mm256_add_epi8(v, dbias));
                        __m256i word = _mm256_or_si256(_mm256_or_si256(alpha, digit),
                                                       _mm256_or_si256(_mm256_cmpeq_epi8(v, us), e));
                        uint32_t sep = ~(high | (uint32_t)_mm256_movemask_epi8(word));
                        uint32_t after = (sep << 1) | carry;
                        carry = sep >> 31;
                        __m256i first = _mm256_and_si256(
                                _mm256_shuffle_epi8(flo, _mm256_and_si256(f, nib)),
                                _mm256_shuffle_epi8(fhi, _mm256_and_si256(_mm256_srli_epi16(f, 4), nib)));
                        __m256i second = _mm256_and_si256(
                                _mm256_shuffle_epi8(slo, _mm256_and_si256(f1, nib)),
                                _mm256_shuffle_epi8(shi, _mm256_and_si256(_mm256_srli_epi16(f1, 4), nib)));
                        __m256i none = _mm256_cmpeq_epi8(_mm256_and_si256(first, second), _mm256_setzero_si256());
                        m |= after & ~(uint32_t)_mm256_movemask_epi8(none);
                }
                if (m)
                        return i + (size_t)__builtin_ctz(m);
        }
        return next_event_sse2(s, len, i, words);
}

/* next_event_avx2 64 bytes at a time, where the CPU has AVX-512BW: every class is one
 * compare into a mask register, with no movemask step, so about half the instructions per
 * byte of the AVX2 pass (8 MiB of prose: ~0.75 -> ~0.45 ms here). Same nibble tables, so
 * the same events; the last 64 bytes and less go to the AVX2 pass. */
__attribute__((target("avx2,avx512f,avx512bw")))
static size_t next_event_avx512(const unsigned char *s, size_t len, size_t i, bool words)
{
        /* _mm512_maskz_broadcast_i32x4, not _mm512_broadcast_i32x4: GCC 12's header feeds
         * the latter an undefined vector, which -Werror=maybe-uninitialized refuses */
        const __m512i esc = _mm512_set1_epi8(0x1b), lt = _mm512_set1_epi8('<'), lb = _mm512_set1_epi8('['),
                      fold = _mm512_set1_epi8(0x20), us = _mm512_set1_epi8('_'),
                      a = _mm512_set1_epi8('a'), n26 = _mm512_set1_epi8(26),
                      zero = _mm512_set1_epi8('0'), n10 = _mm512_set1_epi8(10),
                      nib = _mm512_set1_epi8(0x0f),
                      flo = _mm512_maskz_broadcast_i32x4(0xffff, _mm_loadu_si128((const __m128i *)NIB_FIRST[0])),
                      fhi = _mm512_maskz_broadcast_i32x4(0xffff, _mm_loadu_si128((const __m128i *)NIB_FIRST[1])),
                      slo = _mm512_maskz_broadcast_i32x4(0xffff, _mm_loadu_si128((const __m128i *)NIB_SECOND[0])),
                      shi = _mm512_maskz_broadcast_i32x4(0xffff, _mm_loadu_si128((const __m128i *)NIB_SECOND[1]));
        uint64_t carry = i > 0 && is_sep(s[i - 1]);
        for (; i + 65 <= len; i += 64) {
                __m512i v = _mm512_loadu_si512((const void *)(s + i));
                uint64_t high = _mm512_movepi8_mask(v);
                uint64_t e = _mm512_cmpeq_epi8_mask(v, esc);
                uint64_t m = high | e | _mm512_cmpeq_epi8_mask(v, lt) | _mm512_cmpeq_epi8_mask(v, lb);
                if (words) {
                        __m512i f = _mm512_or_si512(v, fold);
                        __m512i f1 = _mm512_or_si512(_mm512_loadu_si512((const void *)(s + i + 1)), fold);
                        uint64_t word = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(f, a), n26) |
                                        _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, zero), n10) |
                                        _mm512_cmpeq_epi8_mask(v, us) | e;
                        uint64_t sep = ~(high | word);
                        uint64_t after = (sep << 1) | carry;
                        carry = sep >> 63;
                        __m512i first = _mm512_and_si512(
                                _mm512_shuffle_epi8(flo, _mm512_and_si512(f, nib)),
                                _mm512_shuffle_epi8(fhi, _mm512_and_si512(_mm512_srli_epi16(f, 4), nib)));
                        __m512i second = _mm512_and_si512(
                                _mm512_shuffle_epi8(slo, _mm512_and_si512(f1, nib)),
                                _mm512_shuffle_epi8(shi, _mm512_and_si512(_mm512_srli_epi16(f1, 4), nib)));
                        m |= after & _mm512_test_epi8_mask(first, second);
                }
                if (m)
                        return i + (size_t)__builtin_ctzll(m);
        }
        return next_event_avx2(s, len, i, words);
}
#endif

static size_t next_event(enum event_pass pass, const unsigned char *s, size_t len, size_t i, bool words)
{
        switch (pass) {
#if defined(__x86_64__) && defined(__SSE2__)
        case PASS_AVX512:
                return next_event_avx512(s, len, i, words);
        case PASS_AVX2:
                return next_event_avx2(s, len, i, words);
#endif
#if defined(__SSE2__)
        case PASS_SSE2:
                return next_event_sse2(s, len, i, words);
#endif
        default:
                return next_event_bytes(s, len, i, words);
        }
}

int injection_scan(struct injection *g, const char *text, size_t len, enum injection_context ctx,
                   unsigned *found)
{
        const unsigned char *s = (const unsigned char *)text;
        struct walk w = { .s = s, .len = len, .rtl = -1 };
        unsigned f = 0;
        enum event_pass pass = event_pass();
        *found = 0;
        int r = word_start(g, s, len, 0, &f);
        for (size_t i = 0; r >= 0 && (i = next_event(pass, s, len, i, !(f & (1u << INJ_PHRASE)))) < len;) {
                unsigned char c = s[i];
                if (c < 0x80 && c != 0x1b) {
                        /* '<' or '[' (a separator, so the next byte may start a word), or a
                         * word start */
                        if ((ASCII[c] & A_TAG) && pseudo_tag_at(s, len, i))
                                f |= 1u << INJ_PSEUDO_TAG;
                        else if (!(ASCII[c] & A_TAG))
                                r = word_start(g, s, len, i, &f);
                        i++;
                        continue;
                }
                size_t n;
                int cls = unit_at(&w, i, &n);
                if (cls >= 0)
                        f |= 1u << cls;
                i += n;
                if (cls == INJ_ANSI_ESCAPE)
                        r = word_start(g, s, len, i, &f);
        }
        if (r < 0)
                return r;
        if (ctx == INJ_DESCRIPTION) {
                r = search(g, g->sensitive, text, len);
                if (r > 0)
                        f |= 1u << INJ_SENSITIVE_PATH;
                int r2 = r < 0 ? r : search(g, g->redirect, text, len);
                if (r2 < 0)
                        return r2;
                if (r2 > 0)
                        f |= 1u << INJ_TOOL_REDIRECT;
        }
        *found = f;
        return 0;
}

int injection_strip(const char *text, size_t len, struct buf *out)
{
        const unsigned char *s = (const unsigned char *)text;
        struct walk w = { .s = s, .len = len, .rtl = -1 };
        size_t kept = 0; /* s[kept, i) is ordinary text not yet copied */
        bool removed = false;
        for (size_t i = 0; i < len;) {
                if (s[i] < 0x80 && s[i] != 0x1b) {
                        i++;
                        continue;
                }
                size_t n;
                int cls = unit_at(&w, i, &n);
                if (cls < 0 || !((1u << cls) & INJ_STRIPPABLE)) {
                        i += n;
                        continue;
                }
                if (buf_append(out, s + kept, i - kept) < 0)
                        return -ENOMEM;
                removed = true;
                i += n;
                kept = i;
        }
        if (buf_append(out, s + kept, len - kept) < 0)
                return -ENOMEM;
        return removed;
}
