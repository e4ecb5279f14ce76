/* The ceiling's list rules. Subset lists (paths, endpoints, env names, syscalls allowed
 * back, redaction exceptions): every entry of the user's list must be covered by one of
 * the ceiling's; an entry the user wrote that is not is an error, a defaulted one is
 * dropped. Union lists (masks, denied syscalls, methods and paths, redaction catalogues,
 * required features): the ceiling's entries are always added. Tools the ceiling denies
 * stay denied; scopes, including what they imply, stay within the ceiling's scopes. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "policy/ceiling.h"
#include "util/buf.h"
#include "util/cleanup.h"

typedef bool covers_fn(struct cctx *c, const char *ceil_entry, const char *user_entry);

static bool covers_equal(struct cctx *c, const char *a, const char *b)
{
        (void)c;
        return !strcmp(a, b);
}

static bool covers_glob(struct cctx *c, const char *a, const char *b)
{
        (void)c;
        return fnmatch(a, b, 0) == 0;
}

static bool covers_path(struct cctx *c, const char *a, const char *b)
{
        (void)c;
        return policy_path_is_under(policy_path_strip_optional(b), policy_path_strip_optional(a));
}

static bool covers_endpoint(struct cctx *c, const char *a, const char *b)
{
        (void)c;
        return policy_endpoint_covered(a, b);
}

struct subset {
        const char *pointer;            /* the user's list */
        const char *active_if;          /* the rule applies when the ceiling has this key */
        const char *const *lists;       /* ceiling lists whose entries cover */
        covers_fn *covers;
        const char *what;
};

#define LISTS(...) (const char *const[]){ __VA_ARGS__, NULL }
static const struct subset SUBSETS[] = {
        { "/command/allow", "/command/allow", LISTS("/command/allow"), covers_equal, "the ceiling's command.allow" },
        { "/env/pass", "/env/pass", LISTS("/env/pass"), covers_glob, "the ceiling's env.pass" },
        { "/filesystem/read_only", "/filesystem/read_only",
          LISTS("/filesystem/read_only", "/filesystem/read_write"), covers_path,
          "any of the ceiling's filesystem.read_only or read_write paths" },
        { "/filesystem/read_write", "/filesystem/read_write", LISTS("/filesystem/read_write"), covers_path,
          "any of the ceiling's filesystem.read_write paths" },
        { "/network/allow", "/network/allow", LISTS("/network/allow"), covers_endpoint,
          "the ceiling's network.allow" },
        { "/mcp/paths/read", "/mcp/paths/read", LISTS("/mcp/paths/read", "/mcp/paths/write"), covers_path,
          "any of the ceiling's mcp.paths.read or write roots" },
        { "/mcp/paths/write", "/mcp/paths/write", LISTS("/mcp/paths/write"), covers_path,
          "any of the ceiling's mcp.paths.write roots" },
        /* lists that re-open what a profile or catalogue closes: constrained as soon as
         * the ceiling has the section at all (absent list = nothing re-opened) */
        { "/seccomp/allow", "/seccomp", LISTS("/seccomp/allow"), covers_equal, "the ceiling's seccomp.allow" },
        { "/mcp/redact/allow", "/mcp/redact", LISTS("/mcp/redact/allow"), covers_equal,
          "the ceiling's mcp.redact.allow" },
};

static const char *const UNIONS[] = {
        "/require", "/filesystem/mask", "/seccomp/deny", "/mcp/paths/deny",
        "/mcp/methods/host/deny", "/mcp/methods/server/deny", "/mcp/redact/results",
        "/mcp/redact/arguments",
};

/* Under root "host" the whole host is visible read-only except ${HOME}. */
static bool host_root_covers(struct cctx *c, const struct subset *s, const char *entry)
{
        if (strcmp(s->pointer, "/filesystem/read_only"))
                return false;
        json_t *root = json_pointer_get(c->ceil, "/filesystem/root");
        if (!root || strcmp(json_string_value(root), "host"))
                return false;
        return c->home && !policy_path_is_under(policy_path_strip_optional(entry), c->home);
}

static bool covered(struct cctx *c, const struct subset *s, const char *entry)
{
        if (host_root_covers(c, s, entry))
                return true;
        for (const char *const *l = s->lists; *l; l++) {
                size_t i;
                json_t *ce;
                json_array_foreach(json_pointer_get(c->ceil, *l), i, ce)
                        if (s->covers(c, json_string_value(ce), entry))
                                return true;
        }
        return false;
}

static int apply_subset(struct cctx *c, const struct subset *s)
{
        if (!json_pointer_get(c->ceil, s->active_if))
                return 0;
        json_t *list = json_pointer_get(c->eff, s->pointer);
        json_t *cl = json_pointer_get(c->ceil, s->pointer);
        /* an empty command.allow means "any program": the ceiling's list takes its place */
        if (!strcmp(s->pointer, "/command/allow") && !json_array_size(list) && json_array_size(cl))
                return json_array_extend(list, cl) < 0 ? -ENOMEM : 0;
        for (size_t i = 0; i < json_array_size(list); ) {
                json_t *e = json_array_get(list, i);
                const char *entry = json_string_value(e);
                if (covered(c, s, entry)) {
                        i++;
                        continue;
                }
                if (policy_ceiling_written(c, s->pointer, e)) {
                        struct ptr at = { .len = 0 };
                        memcpy(at.s, s->pointer, strlen(s->pointer) + 1);
                        at.len = strlen(s->pointer);
                        policy_ptr_push_index(&at, i);
                        return policy_ceiling_violation(c, at.s, "\"%s\" is not within %s", entry, s->what);
                }
                json_array_remove(list, i);
        }
        return 0;
}

/* A bind below a ceiling mask would be mounted after the mask and uncover it. */
static int apply_masks(struct cctx *c)
{
        static const char *const LISTS_UNDER_MASK[] = { "/filesystem/read_only", "/filesystem/read_write" };
        json_t *masks = json_pointer_get(c->ceil, "/filesystem/mask");
        for (size_t l = 0; l < 2; l++) {
                json_t *list = json_pointer_get(c->eff, LISTS_UNDER_MASK[l]);
                for (size_t i = 0; i < json_array_size(list); ) {
                        json_t *e = json_array_get(list, i);
                        const char *entry = policy_path_strip_optional(json_string_value(e));
                        const char *hit = NULL;
                        size_t k;
                        json_t *m;
                        json_array_foreach(masks, k, m)
                                if (policy_path_is_under(entry, json_string_value(m)))
                                        hit = json_string_value(m);
                        if (!hit) {
                                i++;
                                continue;
                        }
                        if (policy_ceiling_written(c, LISTS_UNDER_MASK[l], e)) {
                                char at[128];
                                snprintf(at, sizeof(at), "%s/%zu", LISTS_UNDER_MASK[l], i);
                                return policy_ceiling_violation(c, at, "\"%s\" lies under the ceiling's mask \"%s\"",
                                                         entry, hit);
                        }
                        json_array_remove(list, i);
                }
        }
        return 0;
}

static int union_map(struct cctx *c, const char *pointer)
{
        json_t *cmap = json_pointer_get(c->ceil, pointer), *umap = json_pointer_get(c->eff, pointer);
        const char *key;
        json_t *cv;
        json_object_foreach(cmap, key, cv) {
                json_t *uv = json_object_get(umap, key);
                if (uv && !json_equal(uv, cv))
                        return policy_ceiling_violation(c, pointer, "\"%s\" differs from the ceiling's", key);
                json_object_set(umap, key, cv);
        }
        return 0;
}

static void union_list(json_t *dst, json_t *src)
{
        size_t i;
        json_t *item;
        json_array_foreach(src, i, item)
                policy_json_array_append_unique(dst, item);
}

int policy_ceiling_lists(struct cctx *c)
{
        for (size_t i = 0; i < sizeof(SUBSETS) / sizeof(SUBSETS[0]); i++) {
                int r = apply_subset(c, &SUBSETS[i]);
                if (r < 0)
                        return r == -ENOMEM ? mc_error_set(c->err, ENOMEM, "out of memory") : r;
        }
        int r = apply_masks(c);
        if (r < 0)
                return r;
        for (size_t i = 0; i < sizeof(UNIONS) / sizeof(UNIONS[0]); i++)
                union_list(json_pointer_get(c->eff, UNIONS[i]), json_pointer_get(c->ceil, UNIONS[i]));
        /* a tool's own redact list replaces mcp.redact.results; the ceiling's catalogues
         * still apply to it */
        json_t *results = json_pointer_get(c->ceil, "/mcp/redact/results");
        const char *name;
        json_t *rule;
        json_object_foreach(json_pointer_get(c->eff, "/mcp/tools"), name, rule)
                if (json_is_object(rule))
                        union_list(json_object_get(rule, "redact"), results);
        r = union_map(c, "/command/sha256");
        if (r < 0)
                return r;
        return union_map(c, "/mcp/redact/custom");
}

/* ---- tools ---- */
static bool is_glob(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

static bool is_deny(json_t *rule)
{
        return json_is_string(rule) && !strcmp(json_string_value(rule), "deny");
}

/* Would the ceiling, read as a policy, deny a tool of this name? A user glob is taken
 * literally, so "git_*" is denied when the ceiling denies "git_*" or "*" by default. */
static bool ceiling_denies(json_t *ctools, const char *name)
{
        json_t *exact = json_object_get(ctools, name);
        if (exact)
                return is_deny(exact);
        bool matched = false;
        const char *key;
        json_t *rule;
        json_object_foreach(ctools, key, rule) {
                if (!strcmp(key, "*") || !is_glob(key) || fnmatch(key, name, 0))
                        continue;
                if (is_deny(rule))
                        return true;
                matched = true;
        }
        if (matched)
                return false;
        json_t *fallback = json_object_get(ctools, "*");
        return !fallback || is_deny(fallback);
}

int policy_ceiling_tools(struct cctx *c)
{
        json_t *ctools = json_pointer_get(c->ceil, "/mcp/tools");
        json_t *tools = json_pointer_get(c->eff, "/mcp/tools");
        if (!ctools)
                return 0;
        const char *name;
        json_t *rule;
        json_object_foreach(tools, name, rule) {
                if (is_deny(rule) || !ceiling_denies(ctools, name))
                        continue;
                struct ptr at = { .len = 0 };
                policy_ptr_push(&at, "mcp");
                policy_ptr_push(&at, "tools");
                policy_ptr_push(&at, name);
                if (policy_ceiling_written(c, at.s, NULL))
                        return policy_ceiling_violation(c, at.s, "tool \"%s\" is denied by the ceiling", name);
                json_object_set_new(tools, name, json_string("deny"));
        }
        /* copy the ceiling's denials so they keep winning over the user's globs */
        json_object_foreach(ctools, name, rule)
                if (is_deny(rule) && !json_object_get(tools, name))
                        json_object_set_new(tools, name, json_string("deny"));
        return 0;
}

/* ---- scopes ---- */
static json_t *closure(json_t *scopes, json_t *implies)
{
        json_t *out = json_array();
        union_list(out, scopes);
        for (size_t i = 0; i < json_array_size(out); i++)
                union_list(out, json_object_get(implies, json_string_value(json_array_get(out, i))));
        return out;
}

static bool contains(json_t *list, const char *s)
{
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e)
                if (!strcmp(json_string_value(e), s))
                        return true;
        return false;
}

int policy_ceiling_scopes(struct cctx *c)
{
        json_t *cscopes = json_pointer_get(c->ceil, "/mcp/scopes");
        if (!cscopes)
                return 0;
        _cleanup_json_ json_t *allowed = closure(cscopes, json_pointer_get(c->ceil, "/mcp/implies"));
        json_t *scopes = json_pointer_get(c->eff, "/mcp/scopes");
        json_t *implies = json_pointer_get(c->eff, "/mcp/implies");
        for (size_t i = 0; i < json_array_size(scopes); ) {
                json_t *s = json_array_get(scopes, i);
                _cleanup_json_ json_t *single = json_pack("[O]", s);
                _cleanup_json_ json_t *grants = closure(single, implies);
                const char *beyond = NULL;
                size_t k;
                json_t *g;
                json_array_foreach(grants, k, g)
                        if (!beyond && !contains(allowed, json_string_value(g)))
                                beyond = json_string_value(g);
                if (!beyond) {
                        i++;
                        continue;
                }
                if (!policy_ceiling_written(c, "/mcp/scopes", s)) {
                        json_array_remove(scopes, i);
                        continue;
                }
                char at[64];
                snprintf(at, sizeof(at), "/mcp/scopes/%zu", i);
                if (!strcmp(beyond, json_string_value(s)))
                        return policy_ceiling_violation(c, at, "scope \"%s\" is not granted by the ceiling", beyond);
                return policy_ceiling_violation(c, at, "scope \"%s\" (implied by \"%s\") is not granted by the ceiling",
                                         beyond, json_string_value(s));
        }
        return 0;
}
