/* json_build_validated(): see jsonbuild.h. The input has passed json_scan(), so the walk
 * trusts its UTF-8 and its escapes and decodes strings with the scanner's own
 * json_str_decode(); its structure is still followed with every bound checked, and
 * anything unexpected there is NULL rather than a guess. What it must match of
 * jansson's load.c beyond the grammar: integers are tokens without '.', 'e' or 'E', read
 * with strtoll and refused on ERANGE; reals are read with strtod and refused when they
 * overflow (an underflow is 0, as there); JSON_DECODE_INT_AS_REAL reads integers as reals;
 * a key holding U+0000 is refused; members keep document order. */
#include "inspect/jsonbuild.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/jsonscan.h"

/* json_scan() refuses deeper nesting; this bound only keeps a mistaken caller's input
 * from recursing without end. */
#define BUILD_MAX_DEPTH 128

struct walk {
        const char *s;
        size_t n, i;
        bool int_as_real;
};

static json_t *build_value(struct walk *w, unsigned depth);

static void skip_ws(struct walk *w)
{
        while (w->i < w->n && (w->s[w->i] == ' ' || w->s[w->i] == '\t' || w->s[w->i] == '\n' ||
                               w->s[w->i] == '\r'))
                w->i++;
}

/* At a '"': the raw contents up to the closing quote (an escape's backslash takes the next
 * byte along; a \u's hex digits hold no quote). false when the string does not end. */
static bool string_span(struct walk *w, const char **raw, size_t *rawlen)
{
        size_t start = w->i + 1, p = start;
        for (;;) {
                while (p < w->n && w->s[p] != '"' && w->s[p] != '\\')
                        p++;
                if (p >= w->n)
                        return false;
                if (w->s[p] == '"')
                        break;
                p += 2;
        }
        *raw = w->s + start;
        *rawlen = p - start;
        w->i = p + 1;
        return true;
}

/* The decoded text of the string at w->i into small (when it fits) or a malloc'd buffer
 * (*heap, to be freed). NULL when the string does not end or memory is out. */
static char *decode_string(struct walk *w, char *small, size_t small_size, char **heap, size_t *len)
{
        const char *raw;
        size_t rawlen;
        *heap = NULL;
        if (!string_span(w, &raw, &rawlen))
                return NULL;
        char *out = small;
        if (rawlen > small_size) {
                out = *heap = malloc(rawlen);
                if (!out)
                        return NULL;
        }
        *len = json_str_decode(raw, rawlen, out);
        return out;
}

static json_t *build_string(struct walk *w)
{
        char small[256], *heap;
        size_t len;
        const char *text = decode_string(w, small, sizeof(small), &heap, &len);
        json_t *v = text ? json_stringn_nocheck(text, len) : NULL;
        free(heap);
        return v;
}

static bool number_byte(char c)
{
        return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static json_t *build_number(struct walk *w)
{
        size_t start = w->i;
        bool integer = true;
        while (w->i < w->n && number_byte(w->s[w->i])) {
                if (w->s[w->i] == '.' || w->s[w->i] == 'e' || w->s[w->i] == 'E')
                        integer = false;
                w->i++;
        }
        char text[JSON_MAX_NUMBER_CHARS + 1];
        size_t len = w->i - start;
        if (len == 0 || len > JSON_MAX_NUMBER_CHARS)
                return NULL;
        memcpy(text, w->s + start, len);
        text[len] = '\0';
        char *end;
        errno = 0;
        if (integer && !w->int_as_real) {
                long long v = strtoll(text, &end, 10);
                if (errno == ERANGE || *end)
                        return NULL;
                return json_integer((json_int_t)v);
        }
        double d = strtod(text, &end);
        if (*end || ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE))
                return NULL;
        return json_real(d);
}

static bool literal(struct walk *w, const char *word)
{
        size_t k = strlen(word);
        if (w->n - w->i < k || memcmp(w->s + w->i, word, k) != 0)
                return false;
        w->i += k;
        return true;
}

/* At an opening bracket: past it and its whitespace; true when close follows at once
 * (consumed too: the container is empty). */
static bool opens_empty(struct walk *w, char close)
{
        w->i++;
        skip_ws(w);
        if (w->i < w->n && w->s[w->i] == close) {
                w->i++;
                return true;
        }
        return false;
}

enum item_end { ITEM_MORE, ITEM_LAST, ITEM_BAD };

/* After a member or element: a ',' (more follow) or the closing bracket, consumed. */
static enum item_end next_item(struct walk *w, char close)
{
        skip_ws(w);
        if (w->i >= w->n || (w->s[w->i] != ',' && w->s[w->i] != close))
                return ITEM_BAD;
        if (w->s[w->i++] == close)
                return ITEM_LAST;
        skip_ws(w);
        return ITEM_MORE;
}

static json_t *build_object(struct walk *w, unsigned depth)
{
        json_t *obj = json_object();
        if (!obj || opens_empty(w, '}'))
                return obj;
        enum item_end e = ITEM_MORE;
        while (e == ITEM_MORE) {
                char small[128], *heap = NULL;
                size_t klen = 0;
                const char *key = w->i < w->n && w->s[w->i] == '"'
                                          ? decode_string(w, small, sizeof(small), &heap, &klen)
                                          : NULL;
                json_t *v = NULL;
                if (key && !memchr(key, '\0', klen)) {
                        skip_ws(w);
                        if (w->i < w->n && w->s[w->i] == ':') {
                                w->i++;
                                skip_ws(w);
                                v = build_value(w, depth + 1);
                        }
                }
                int r = v ? json_object_setn_new_nocheck(obj, key, klen, v) : -1;
                free(heap);
                e = r < 0 ? ITEM_BAD : next_item(w, '}');
        }
        if (e == ITEM_BAD) {
                json_decref(obj);
                return NULL;
        }
        return obj;
}

static json_t *build_array(struct walk *w, unsigned depth)
{
        json_t *arr = json_array();
        if (!arr || opens_empty(w, ']'))
                return arr;
        enum item_end e = ITEM_MORE;
        while (e == ITEM_MORE) {
                json_t *v = build_value(w, depth + 1);
                e = !v || json_array_append_new(arr, v) < 0 ? ITEM_BAD : next_item(w, ']');
        }
        if (e == ITEM_BAD) {
                json_decref(arr);
                return NULL;
        }
        return arr;
}

static json_t *build_value(struct walk *w, unsigned depth)
{
        if (depth > BUILD_MAX_DEPTH || w->i >= w->n)
                return NULL;
        switch (w->s[w->i]) {
        case '{': return build_object(w, depth);
        case '[': return build_array(w, depth);
        case '"': return build_string(w);
        case 't': return literal(w, "true") ? json_true() : NULL;
        case 'f': return literal(w, "false") ? json_false() : NULL;
        case 'n': return literal(w, "null") ? json_null() : NULL;
        default: return build_number(w);
        }
}

json_t *json_build_validated(const char *buf, size_t len, bool int_as_real)
{
        struct walk w = { .s = buf, .n = len, .int_as_real = int_as_real };
        skip_ws(&w);
        json_t *v = build_value(&w, 0);
        skip_ws(&w);
        if (v && w.i != w.n) {
                json_decref(v);
                return NULL;
        }
        return v;
}
