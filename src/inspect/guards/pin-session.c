/* One session against its pin (pin.h): what the server shows now is hashed and compared
 * with what the user accepted; a difference is kept as the pending change that
 * `mcpcage pin show` displays and `pin approve` accepts. */
#include "inspect/guards/pin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/log.h"

struct pin_session {
        char *dir;
        char key[PIN_HEX];
        json_t *file;           /* the pin file's object (loaded, or new on first use) */
        json_t *seen;           /* this session: server_info, instructions, tools {name: H} */
        json_t *objects;        /* changed or new tool objects, for review */
        unsigned identity_changes;
        bool first_use;         /* nothing pinned yet: adopt until a complete list was seen */
        char written[PIN_HEX];  /* hash of the pending state last written ("" none) */
};

static json_t *now_json(void)
{
        char ts[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        return json_string(ts);
}

static json_t *command_json(const char *exe, char *const *argv)
{
        json_t *a = json_array();
        json_array_append_new(a, json_string(exe));
        for (size_t i = 0; argv && argv[i]; i++)
                json_array_append_new(a, json_string(argv[i]));
        return a;
}

static json_t *new_file(const struct pin_origin *o)
{
        return json_pack("{s:i, s:s, s:s, s:o, s:s, s:o, s:{s:{}}}", "version", 1, "key", o->key,
                         "server", o->server ? o->server : "", "command", command_json(o->exe, o->argv),
                         "policy_sha256", o->policy_sha256, "created", now_json(), "approved", "tools");
}

int pin_session_open(struct pin_session **out, const struct pin_origin *o, struct mc_error *err)
{
        json_t *file = NULL;
        int r = pin_load(o->dir, o->key, &file, err);
        if (r < 0)
                return r;
        struct pin_session *ps = calloc(1, sizeof(*ps));
        if (!ps) {
                json_decref(file);
                return mc_error_set(err, ENOMEM, "pin: out of memory");
        }
        ps->first_use = !file || !json_is_string(json_object_get(json_object_get(file, "approved"),
                                                                  "tool_names"));
        ps->file = file ? file : new_file(o);
        ps->dir = strdup(o->dir);
        ps->seen = json_pack("{s:{}}", "tools");
        ps->objects = json_object();
        snprintf(ps->key, sizeof(ps->key), "%s", o->key);
        if (!ps->file || !ps->dir || !ps->seen || !ps->objects) {
                pin_session_free(ps);
                return mc_error_set(err, ENOMEM, "pin: out of memory");
        }
        *out = ps;
        return 0;
}

void pin_session_free(struct pin_session *ps)
{
        if (!ps)
                return;
        json_decref(ps->file);
        json_decref(ps->seen);
        json_decref(ps->objects);
        free(ps->dir);
        free(ps);
}

static json_t *approved(const struct pin_session *ps)
{
        return json_object_get(ps->file, "approved");
}

static json_t *hash_or_null(json_t *v)
{
        char hex[PIN_HEX];
        if (!v)
                return json_null();
        return pin_hash_json(v, hex) < 0 ? NULL : json_string(hex);
}

/* A member never observed before is adopted; one observed before must match. */
static bool member_changed(struct pin_session *ps, const char *name, json_t *h)
{
        json_object_set(ps->seen, name, h);
        if (ps->first_use)
                return false;
        json_t *pinned = json_object_get(approved(ps), name);
        if (!pinned) {
                json_object_set(approved(ps), name, h);
                return false;
        }
        return !json_equal(pinned, h);
}

unsigned pin_observe_identity(struct pin_session *ps, json_t *server_info, json_t *instructions)
{
        _cleanup_json_ json_t *hs = hash_or_null(server_info);
        _cleanup_json_ json_t *hi = hash_or_null(instructions);
        unsigned bits = 0;
        if (!hs || !hi)
                return PIN_CHANGED_SERVER_INFO; /* fail closed: nothing could be compared */
        if (member_changed(ps, "server_info", hs))
                bits |= PIN_CHANGED_SERVER_INFO;
        if (member_changed(ps, "instructions", hi))
                bits |= PIN_CHANGED_INSTRUCTIONS;
        ps->identity_changes |= bits;
        return bits;
}

enum pin_status pin_observe_tool(struct pin_session *ps, const char *name, json_t *tool)
{
        char hex[PIN_HEX];
        if (pin_hash_json(tool, hex) < 0)
                return PIN_CHANGED;
        json_object_set_new(json_object_get(ps->seen, "tools"), name, json_string(hex));
        if (ps->first_use)
                return PIN_SAME;
        json_t *pinned = json_object_get(json_object_get(approved(ps), "tools"), name);
        if (pinned && !strcmp(json_string_value(pinned) ? json_string_value(pinned) : "", hex))
                return PIN_SAME;
        json_object_set(ps->objects, name, tool);
        return pinned ? PIN_CHANGED : PIN_NEW;
}

bool pin_identity_changed(const struct pin_session *ps)
{
        return ps->identity_changes != 0;
}

bool pin_tool_callable(const struct pin_session *ps, const char *name)
{
        if (ps->identity_changes)
                return false;
        if (ps->first_use)
                return true;
        json_t *pinned = json_object_get(json_object_get(approved(ps), "tools"), name);
        json_t *seen = json_object_get(json_object_get(ps->seen, "tools"), name);
        return pinned && (!seen || json_equal(pinned, seen));
}

const char *pin_created(const struct pin_session *ps)
{
        const char *c = json_string_value(json_object_get(ps->file, "created"));
        return c ? c : "";
}

static json_t *names_hash(json_t *tools)
{
        _cleanup_json_ json_t *names = json_array();
        const char *name;
        json_t *v;
        json_object_foreach(tools, name, v)
                json_array_append_new(names, json_string(name));
        /* jansson keeps insertion order: sort by dumping each as a key of an object */
        _cleanup_json_ json_t *set = json_object();
        size_t i;
        json_array_foreach(names, i, v)
                json_object_set(set, json_string_value(v), json_true());
        return hash_or_null(set);
}

/* approved tools with what this session saw over them; on the last page without the ones
 * it did not see. */
static json_t *merged_tools(struct pin_session *ps, bool last, json_t *removed)
{
        json_t *seen = json_object_get(ps->seen, "tools");
        json_t *out = last ? json_deep_copy(seen) : json_deep_copy(json_object_get(approved(ps), "tools"));
        const char *name;
        json_t *v;
        if (!last)
                json_object_update(out, seen);
        else
                json_object_foreach(json_object_get(approved(ps), "tools"), name, v)
                        if (!json_object_get(seen, name))
                                json_array_append_new(removed, json_string(name));
        return out;
}

static json_t *changes(struct pin_session *ps, bool last)
{
        json_t *changed = json_array(), *added = json_array(), *removed = json_array();
        const char *name;
        json_t *h;
        json_object_foreach(json_object_get(ps->seen, "tools"), name, h) {
                json_t *pinned = json_object_get(json_object_get(approved(ps), "tools"), name);
                if (!pinned)
                        json_array_append_new(added, json_string(name));
                else if (!json_equal(pinned, h))
                        json_array_append_new(changed, json_string(name));
        }
        json_t *tools = merged_tools(ps, last, removed);
        json_t *c = json_pack("{s:b, s:b, s:o, s:o, s:o}",
                              "server_info", !!(ps->identity_changes & PIN_CHANGED_SERVER_INFO),
                              "instructions", !!(ps->identity_changes & PIN_CHANGED_INSTRUCTIONS),
                              "changed", changed, "new", added, "removed", removed);
        if (!c || (!json_array_size(changed) && !json_array_size(added) && !json_array_size(removed) &&
                   !ps->identity_changes)) {
                json_decref(c);
                json_decref(tools);
                return NULL;
        }
        json_t *pending = json_pack("{s:o, s:o, s:O, s:o}", "changes", c, "tools", tools, "objects",
                                    ps->objects, "tool_names", names_hash(tools));
        const char *id[] = { "server_info", "instructions" };
        for (int i = 0; pending && i < 2; i++) {
                json_t *v = json_object_get(ps->seen, id[i]);
                if (!v)
                        v = json_object_get(approved(ps), id[i]);
                if (v)
                        json_object_set(pending, id[i], v);
        }
        return pending;
}

static int adopt(struct pin_session *ps, bool last, struct mc_error *err)
{
        json_t *a = approved(ps);
        const char *id[] = { "server_info", "instructions" };
        for (int i = 0; i < 2; i++)
                if (json_object_get(ps->seen, id[i]))
                        json_object_set(a, id[i], json_object_get(ps->seen, id[i]));
        json_object_update(json_object_get(a, "tools"), json_object_get(ps->seen, "tools"));
        if (last) {
                json_object_set_new(a, "tool_names", names_hash(json_object_get(a, "tools")));
                ps->first_use = false;
        }
        json_object_set_new(ps->file, "updated", now_json());
        return pin_save(ps->dir, ps->key, ps->file, err);
}

int pin_commit(struct pin_session *ps, bool last, struct mc_error *err)
{
        if (ps->first_use)
                return adopt(ps, last, err);
        _cleanup_json_ json_t *pending = changes(ps, last);
        if (!pending) {
                if (!last || !json_object_get(ps->file, "pending"))
                        return 0;
                /* the server is back to what was approved: nothing left to review */
                json_object_del(ps->file, "pending");
                ps->written[0] = '\0';
                return pin_save(ps->dir, ps->key, ps->file, err);
        }
        char hex[PIN_HEX];
        if (pin_hash_json(pending, hex) < 0)
                return mc_error_set(err, ENOMEM, "pin: out of memory");
        if (!strcmp(hex, ps->written))
                return 0; /* written already this session */
        memcpy(ps->written, hex, sizeof(hex));
        json_object_set_new(pending, "observed", now_json());
        json_object_set(ps->file, "pending", pending);
        return pin_save(ps->dir, ps->key, ps->file, err);
}
