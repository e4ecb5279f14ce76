/* Pinning tool definitions and server identity (threats.md §3 "rug pull"): a server that
 * was reviewed once must not change what it tells the model later without the user seeing
 * it. On first use per (policy, resolved command, arguments) mcpcage stores canonical
 * SHA-256 hashes of serverInfo, instructions, the set of tool names and each whole tool
 * object under $XDG_STATE_HOME/mcpcage/pins/<key>.json; a later session compares.
 *
 * The pin file (0600, directory 0700):
 *   {"version":1, "key":…, "server":…, "command":[exe, argv…], "policy_sha256":…,
 *    "created":…, "updated":…,
 *    "approved": {"server_info":H|null, "instructions":H|null, "tool_names":H, "tools":{name:H}},
 *    "pending":  {the same for what was last seen, plus "changes": {"server_info":bool,
 *                 "instructions":bool, "changed":[…], "new":[…], "removed":[…]} and
 *                 "objects": {name: the changed or new tool object, for review}}}
 * A member that was never observed is absent; one observed as absent is null. */
#pragma once

#include <stdbool.h>
#include <jansson.h>

#include "util/error.h"

#define PIN_HEX 65

/* Hex SHA-256 of the canonical form of v (jansson compact, sorted keys). */
int pin_hash_json(json_t *v, char hex[PIN_HEX]);
/* The pin key: SHA-256 over the policy's sha256, the resolved executable and argv, each
 * NUL-terminated (so no two different commands share a key). */
int pin_key(const char *policy_sha256, const char *exe, char *const *argv, char hex[PIN_HEX]);

/* The pins directory under state_home ($XDG_STATE_HOME): a new string. */
char *pin_dir(const char *state_home);
/* 0 with *out the pin (NULL when there is none yet), or an error: a pin file that is not a
 * regular file owned by this user and writable by nobody else is refused (whoever can
 * write it can approve a rug pull). */
int pin_load(const char *dir, const char *key, json_t **out, struct mc_error *err);
/* Atomically replaces the file (directories created 0700, file 0600). */
int pin_save(const char *dir, const char *key, json_t *pin, struct mc_error *err);
int pin_remove(const char *dir, const char *key, struct mc_error *err);
/* The keys of every pin file in dir (a JSON array of strings, sorted); empty when dir does
 * not exist. */
int pin_list(const char *dir, json_t **keys, struct mc_error *err);

/* One session's comparison against a pin. */
enum pin_status { PIN_SAME, PIN_NEW, PIN_CHANGED };

struct pin_session;

struct pin_origin {
        const char *dir, *key;
        const char *server;             /* for `pin list` */
        const char *policy_sha256;
        const char *exe;
        char *const *argv;
};

int pin_session_open(struct pin_session **out, const struct pin_origin *o, struct mc_error *err);
void pin_session_free(struct pin_session *ps);

/* serverInfo and instructions as the server sent them (NULL = absent). Returns a bit set:
 * 1 serverInfo changed, 2 instructions changed (0 on first use, or when both match). */
#define PIN_CHANGED_SERVER_INFO 1u
#define PIN_CHANGED_INSTRUCTIONS 2u
unsigned pin_observe_identity(struct pin_session *ps, json_t *server_info, json_t *instructions);
/* One tool of a tools/list page. */
enum pin_status pin_observe_tool(struct pin_session *ps, const char *name, json_t *tool);
/* After a page: the first session's state becomes the pin; a later session's differences
 * become the pending change. last: the page had no nextCursor (removed tools are only
 * known then). */
int pin_commit(struct pin_session *ps, bool last, struct mc_error *err);

/* Whether serverInfo or instructions differ from the pin in this session. */
bool pin_identity_changed(const struct pin_session *ps);
/* Whether a call to name matches the pin: seen unchanged this session, or (not listed yet)
 * pinned. True for everything before the first pin exists. */
bool pin_tool_callable(const struct pin_session *ps, const char *name);
/* The pinned creation time ("" on first use), for details. */
const char *pin_created(const struct pin_session *ps);
