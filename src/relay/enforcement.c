/* Which policy features this build does not enforce (none now) and which `require`
 * features it provides. */
#include "relay/enforcement.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "util/buf.h"

/* The `require` features this build provides (src/sandbox: namespaces, the Landlock fallback,
 * seccomp; src/net: network-filter, refused at launch when there is no network namespace). */
static const char *const provided[] = { "namespaces", "landlock", "seccomp", "network-filter", "cgroup", NULL };

/* The last entries (limits.memory, pids, cpu) went with the cgroup issue: every key of the
 * policy format is enforced now, or reported as degraded by the sandbox when this machine
 * cannot. The list stays in session_start and --dry-run for a feature a later policy
 * version adds before its enforcement. */
json_t *enforcement_not_enforced(const struct policy *p)
{
        (void)p;
        return json_array();
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
