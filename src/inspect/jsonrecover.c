/* Id recovery for lines the strict scan refused (and for the head of an oversize line):
 * JSON-RPC wants the error under the request's id when it can be determined. The walk is
 * lenient about everything but the id itself, which must be a strictly valid token,
 * because mcpcage copies it byte for byte into its answer. */
#include "inspect/jsonrpc.h"
#include "inspect/jsonscan.h"

#include <string.h>

static size_t ws(const char *b, size_t i, size_t n)
{
        while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
                i++;
        return i;
}

/* Skip one value without validating it; false when the buffer ends first. */
static bool skip_lenient(const char *b, size_t n, size_t *pos)
{
        size_t i = *pos;
        int depth = 0;
        while (i < n) {
                char c = b[i];
                if (c == '"') {
                        for (i++; i < n && b[i] != '"'; i++)
                                if (b[i] == '\\')
                                        i++;
                        if (i >= n)
                                return false;
                        i++;
                } else if (c == '{' || c == '[') {
                        depth++;
                        i++;
                } else if (c == '}' || c == ']') {
                        if (depth == 0)
                                break;
                        depth--;
                        i++;
                } else if (c == ',' && depth == 0)
                        break;
                else
                        i++;
                if (depth == 0 && i < n && (b[i] == ',' || b[i] == '}'))
                        break;
        }
        *pos = i;
        return i < n;
}

static bool is_delim(const char *b, size_t n, size_t i)
{
        i = ws(b, i, n);
        return i < n && (b[i] == ',' || b[i] == '}');
}

/* The id value at b[i]: a strict string, integer or null token followed by a delimiter. */
static bool take_id(const char *b, size_t n, size_t i, enum id_type *type, struct span *id, size_t *end)
{
        size_t e = i;
        if (b[i] == '"') {
                struct jv v;
                if (!json_scan_string_at(b, n, i, &v, &e))
                        return false;
                *type = ID_STRING;
        } else if (b[i] == '-' || (b[i] >= '0' && b[i] <= '9')) {
                if (b[e] == '-')
                        e++;
                if (e >= n || b[e] < '0' || b[e] > '9')
                        return false;
                if (b[e] == '0')
                        e++;
                else
                        while (e < n && b[e] >= '0' && b[e] <= '9')
                                e++;
                /* an id the strict reader refuses would make mcpcage's own answer unreadable */
                if (e - i > JSON_MAX_NUMBER_CHARS)
                        return false;
                *type = ID_INT;
        } else if (n - i >= 4 && !memcmp(b + i, "null", 4)) {
                e = i + 4;
                *type = ID_NULL;
        } else
                return false;
        if (!is_delim(b, n, e))
                return false;
        *id = (struct span){ i, e - i };
        *end = e;
        return true;
}

bool jsonrpc_recover_id(const char *b, size_t n, enum id_type *type, struct span *id)
{
        bool found = false;
        size_t i = ws(b, 0, n);
        if (i >= n || b[i] != '{')
                return false;
        i++;
        for (;;) {
                struct jv k;
                size_t e;
                i = ws(b, i, n);
                if (i >= n || b[i] != '"' || !json_scan_string_at(b, n, i, &k, &e))
                        break;
                bool is_id = json_str_is(b, &k, "id");
                i = ws(b, e, n);
                if (i >= n || b[i] != ':')
                        break;
                i = ws(b, i + 1, n);
                if (i >= n)
                        break;
                if (is_id) {
                        /* two "id" members: which one the server reads is unknowable */
                        if (found || !take_id(b, n, i, type, id, &e))
                                return false;
                        found = true;
                        i = e;
                } else if (!skip_lenient(b, n, &i))
                        break;
                i = ws(b, i, n);
                if (i >= n || b[i] != ',')
                        break;
                i++;
        }
        return found;
}
