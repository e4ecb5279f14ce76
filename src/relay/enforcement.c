/* The one table of policy features this build does not enforce yet. An entry is asked for
 * when the policy's value is not the do-nothing one; later issues delete their line. */
#include "relay/enforcement.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "util/buf.h"

typedef bool (*asks_fn)(json_t *value);

struct unenforced {
        const char *label;      /* what the user reads */
        const char *pointer;    /* the policy key whose value decides */
        asks_fn asks;           /* true when that value asks for the feature */
        bool show_value;        /* append the value to the label ("network.mode none") */
};

/* Anything but null, false, 0, "", "0", [] or {} asks for something. */
static bool set(json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_NULL:
        case JSON_FALSE: return false;
        case JSON_TRUE: return true;
        case JSON_INTEGER: return json_integer_value(v) != 0;
        case JSON_REAL: return json_real_value(v) != 0.0;
        case JSON_STRING: {
                const char *s = json_string_value(v);
                uint64_t n;
                if (!*s || !strcmp(s, "0") || !strcmp(s, "off") || !strcmp(s, "unlimited"))
                        return false;
                return !((policy_parse_size(s, &n) == 0 || policy_parse_time(s, &n) == 0) && n == 0);
        }
        case JSON_ARRAY: return json_array_size(v) > 0;
        case JSON_OBJECT: return json_object_size(v) > 0;
        default: return true;
        }
}

static const struct unenforced table[] = {
        { "limits.memory", "/limits/memory", set, false },
        { "limits.pids", "/limits/pids", set, false },
        { "limits.cpu", "/limits/cpu", set, false },
};

/* The `require` features this build provides (src/sandbox: namespaces, the Landlock fallback,
 * seccomp; src/net: network-filter, refused at launch when there is no network namespace). */
static const char *const provided[] = { "namespaces", "landlock", "seccomp", "network-filter", NULL };

json_t *enforcement_not_enforced(const struct policy *p)
{
        json_t *out = json_array();
        if (!out)
                return NULL;
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                json_t *v = policy_get(p, table[i].pointer);
                if (!v || !table[i].asks(v))
                        continue;
                json_t *label = table[i].show_value && json_is_string(v)
                        ? json_sprintf("%s %s", table[i].label, json_string_value(v))
                        : json_string(table[i].label);
                if (!label || json_array_append_new(out, label) < 0) {
                        json_decref(out);
                        return NULL;
                }
        }
        return out;
}

static bool is_provided(const char *feature)
{
        for (const char *const *f = provided; *f; f++)
                if (!strcmp(*f, feature))
                        return true;
        return false;
}

int enforcement_check_require(const struct policy *p, struct mc_error *err)
{
        json_t *req = policy_get(p, "/require"), *f;
        size_t i;
        json_array_foreach(req, i, f) {
                const char *name = json_string_value(f);
                if (name && !is_provided(name))
                        return mc_error_set(err, ENOTSUP,
                                            "%s: /require/%zu: this build of mcpcage cannot provide \"%s\" yet; "
                                            "remove it from \"require\" to run without it",
                                            p->path, i, name);
        }
        return 0;
}

char *enforcement_join(const json_t *labels)
{
        struct buf b = { 0 };
        size_t i;
        json_t *l;
        json_array_foreach(labels, i, l)
                if (buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(l)) < 0) {
                        buf_free(&b);
                        return NULL;
                }
        if (buf_append(&b, "", 1) < 0) {
                buf_free(&b);
                return NULL;
        }
        return b.data;
}
