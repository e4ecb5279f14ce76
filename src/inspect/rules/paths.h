/* Path arguments (policy.md mcp.paths, threats.md §2 "path args").
 *
 * A path argument is checked in every form a server might act on: the string as given and,
 * when it holds percent-escapes or is a file:// URI, its decoded path; each made absolute
 * against filesystem.workdir and normalised lexically (".", "..", repeated "/"), and each
 * also resolved the way the kernel would walk it (symlinks followed through the parts that
 * exist; a missing tail is appended and must not contain ".."). Every form must lie under a
 * root that grants the mode (write roots imply read), and no form, nor any ancestor
 * directory of one, may match a deny glob ("**" then "/.ssh" covers .ssh/id_rsa too).
 *
 * Refused outright: NUL bytes (raw or %00), invalid UTF-8 (raw or decoded), a leading "~"
 * in any form (servers disagree on expanding "~/": @modelcontextprotocol/server-filesystem
 * expands it, plain fs calls take it as a directory named "~", so no one form can be
 * checked: write the absolute path; "~user" is refused for the same reason), file:// URIs
 * with a host other than "" or "localhost" or with a query or fragment, dangling symlinks
 * (writing through one creates its target wherever it points), paths longer than PATH_MAX.
 *
 * This is a check made in mcpcage's view of the filesystem before the call is forwarded; a
 * server that swaps a component for a symlink afterwards is stopped by the sandbox (the
 * mounts and Landlock rules carry the same roots), not by this check. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "inspect/rules/decision.h"
#include "util/error.h"

enum path_mode { PATH_READ = 1, PATH_WRITE = 2 };

struct path_rules;

/* mcp_paths: the effective policy's /mcp/paths ({read:[], write:[], deny:[]}, each key
 * optional; NULL = no roots, so every path is denied). workdir: /filesystem/workdir, an
 * absolute path. Roots are normalised and resolved here, once. */
int path_rules_compile(json_t *mcp_paths, const char *workdir, struct path_rules **out,
                       struct mc_error *err);
void path_rules_free(struct path_rules *r);
/* True when no read or write root is configured. */
bool path_rules_empty(const struct path_rules *r);

/* arg: len bytes (a JSON string may hold NUL). On allow, d->rule is the root that admitted
 * the path ("/mcp/paths/write/0"); on deny, the deny glob ("/mcp/paths/deny/1") or the
 * roots list the path is outside of ("/mcp/paths/read"). */
void path_check(const struct path_rules *r, const char *arg, size_t len, enum path_mode mode,
                struct rule_decision *d);

/* A tool rule's "paths" map ({"/path": "read", "/sources/<star>": "write"}) applied to a
 * tools/call arguments object. Each key is an RFC 6901 pointer into arguments; a final "*"
 * token means every element of the array there. An argument the pointer does not reach is
 * fine (an optional argument the caller left out: the server will not touch a path it was
 * not given), but a pointer that reaches a non-string, or a "*" that reaches a non-array,
 * is denied: the server would interpret a value we could not check. Every named path must
 * pass; the first failure decides. map_rule is the pointer of the map itself
 * ("/mcp/tools/write_file/paths"), used as the rule for argument-shape denials and, when
 * every path passes, for the allow. */
void path_check_arguments(const struct path_rules *r, json_t *paths_map, const char *map_rule,
                          json_t *arguments, struct rule_decision *d);
