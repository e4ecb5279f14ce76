/* Decoding and comparing string tokens the scanner has already validated. Keys, methods and
 * string ids are compared by their decoded text (`"\u0069d"` is the key "id" to the
 * server, so it must be to mcpcage too). */
#include "inspect/jsonscan.h"

#include <string.h>

#include "util/utf8.h"

static unsigned hexval(unsigned char c)
{
        if (c <= '9')
                return c - '0';
        return (unsigned)((c | 0x20) - 'a' + 10);
}

static unsigned hex4(const char *p)
{
        return hexval((unsigned char)p[0]) << 12 | hexval((unsigned char)p[1]) << 8 |
               hexval((unsigned char)p[2]) << 4 | hexval((unsigned char)p[3]);
}

/* raw is the validated content between the quotes; the decoded text is never longer. */
size_t json_str_decode(const char *raw, size_t rawlen, char *out)
{
        size_t i = 0, o = 0;
        while (i < rawlen) {
                const char *bs = memchr(raw + i, '\\', rawlen - i);
                size_t run = bs ? (size_t)(bs - (raw + i)) : rawlen - i;
                memcpy(out + o, raw + i, run);
                o += run;
                i += run;
                if (!bs)
                        break;
                char c = raw[i + 1];
                i += 2;
                switch (c) {
                case 'b': out[o++] = '\b'; break;
                case 'f': out[o++] = '\f'; break;
                case 'n': out[o++] = '\n'; break;
                case 'r': out[o++] = '\r'; break;
                case 't': out[o++] = '\t'; break;
                case 'u': {
                        unsigned long cp = hex4(raw + i);
                        i += 4;
                        if (cp >= 0xD800 && cp <= 0xDBFF) {
                                unsigned long lo = hex4(raw + i + 2);
                                i += 6;
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        }
                        o += utf8_put(out + o, cp);
                        break;
                }
                default: out[o++] = c; break; /* '"', '\\', '/' */
                }
        }
        return o;
}

static bool decoded_equal(const char *esc, size_t esclen, size_t declen, const char *plain)
{
        char small[256];
        if (declen <= sizeof(small)) {
                json_str_decode(esc, esclen, small);
                return !memcmp(small, plain, declen);
        }
        /* longer escaped strings: compare piecewise, plain runs first */
        size_t i = 0, o = 0;
        while (i < esclen) {
                if (esc[i] != '\\') {
                        if (esc[i] != plain[o])
                                return false;
                        i++, o++;
                        continue;
                }
                size_t l = esc[i + 1] != 'u' ? 2 :
                           (esc[i + 2] | 0x20) == 'd' && (esc[i + 3] | 0x20) >= '8' &&
                                   (esc[i + 3] | 0x20) <= 'b' ? 12 : 6;
                char d[4];
                size_t k = json_str_decode(esc + i, l, d);
                if (memcmp(d, plain + o, k))
                        return false;
                i += l;
                o += k;
        }
        return true;
}

bool json_str_is(const char *buf, const struct jv *v, const char *lit)
{
        if (v->type != JV_STRING)
                return false;
        size_t l = strlen(lit);
        if (v->declen != l)
                return false;
        if (!v->esc)
                return !memcmp(buf + v->off + 1, lit, l);
        return decoded_equal(buf + v->off + 1, v->len - 2, l, lit);
}
