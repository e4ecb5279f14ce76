/* Glob matching for policy patterns: tool names (git_*), path deny globs (**, then
 * "/.env") and URL allow globs (https:, then "//", then *.example.com and a trailing **).
 * Comments below write a slash next to a star as "<slash>" where C would read a comment.
 *
 * Without GLOB_PATHNAME (tool names): fnmatch(3) as is; "*" matches any string.
 * With GLOB_PATHNAME (paths, URLs): "*", "?" and "[...]" never match "/", so
 * a host glob "*.example.com" cannot be satisfied by "evil.com<slash>.example.com"; "**"
 * matches any string including "/", and "**" followed by "/" may also match nothing, so
 * "<slash>a<slash>**<slash>b" matches "/a/b" (the gitignore reading). A leading "." is
 * matched by "*" (no FNM_PERIOD): deny globs for ".env" must see dotfiles. "**" inside a
 * bracket expression is not special-cased; do not write one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define GLOB_PATHNAME 1
/* With GLOB_PATHNAME: skip the shortcuts for the commonest shapes ("**" "/" X, "A<slash>**")
 * and run the general "**" matcher, for tests that hold the shortcuts to it. */
#define GLOB_GENERAL 2

/* 1 on a match, 0 on none, -ENOMEM/-EINVAL when it could not be decided. Callers fail
 * closed: a deny glob counts as matching unless the result is 0, an allow glob as matching
 * only when it is 1. */
int glob_match(const char *pattern, const char *s, int flags);
/* True when the pattern has any glob metacharacter ("*", "?", "["). */
bool glob_is_pattern(const char *pattern);
/* Bytes before the first metacharacter: how specific a glob is (tools.c orders by it). */
size_t glob_literal_prefix(const char *pattern);
