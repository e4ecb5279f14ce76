/* URL arguments (policy.md mcp.tools.<tool>.urls; threats.md §2 "url args"): a map from a
 * JSON pointer into the arguments to { "allow": [URL globs] }.
 *
 * A URL is parsed (RFC 3986, absolute URLs with an authority only: "scheme://host...") and
 * refused when it carries userinfo (https://ok.com@evil.com/ reads as a request to
 * evil.com), a backslash (WHATWG readers take it for "/", RFC readers do not), whitespace,
 * control or non-ASCII bytes (write IDNs as punycode), a "%" in the host, an empty or
 * malformed host or port, or a host that looks numeric but is no valid IPv4 address.
 * Numeric hosts are read the way inet_aton(3) and browsers read them, so 2130706433,
 * 0177.0.0.1 and 0x7f.1 are all 127.0.0.1. IP literals in the loopback, "this network",
 * link-local and cloud-metadata ranges (127/8, 0/8, 169.254/16, 100.100.100.200, ::1, ::,
 * fe80::/10, fd00:ec2::254, and IPv4 embedded in ::ffff:0:0/96, ::/96, 64:ff9b::/96,
 * 2002::/16) are refused unless an allow glob names that very address: they reach the
 * host's own services and the instance credentials (SSRF). Host names that resolve to
 * such addresses are the network layer's business (network.mode), not this check's.
 *
 * The allow globs (glob.h, GLOB_PATHNAME) are matched against the normalised form
 * "scheme://host[:port]/path": scheme and host lower-cased, a trailing dot of the host
 * dropped, IP literals in canonical form ("[::1]", "127.0.0.1"), the scheme's default port
 * dropped (http/ws 80, https/wss 443, ftp 21), an empty path as "/", percent-escapes of
 * unreserved characters decoded in the path and "." / ".." segments removed (RFC 3986
 * 6.2.2); query and fragment are not part of it. A glob without a path
 * ("https://example.com") therefore matches only the root; add a path glob ("/" then "**"). */
#pragma once

#include <stddef.h>
#include <jansson.h>

#include "inspect/rules/decision.h"
#include "util/error.h"

#define URL_MAX 8192

struct url_rules;

/* urls: the tool's "urls" object; map_rule its pointer ("/mcp/tools/fetch/urls"). */
int url_rules_compile(json_t *urls, const char *map_rule, struct url_rules **out,
                      struct mc_error *err);
void url_rules_free(struct url_rules *u);

/* Every string every pointer reaches must be allowed; an absent argument is fine, a value
 * that is not a string is denied. Allow: d->rule is the glob that matched
 * ("/mcp/tools/fetch/urls/~1url/allow/0"). */
void url_check_arguments(const struct url_rules *u, json_t *arguments, struct rule_decision *d);

/* The normalised form described above, into out (size bytes). 0, or -EINVAL with *why. */
int url_normalise(const char *s, size_t len, char *out, size_t size, const char **why);
