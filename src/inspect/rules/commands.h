/* Command arguments (policy.md mcp.tools.<tool>.commands; threats.md §2 "command args"):
 * a map from a JSON pointer into the arguments to
 *     { "allow": [first tokens], "deny": [PCRE2 patterns], "shell": false }.
 *
 * The value at the pointer is a command line (a string) or an argv (an array of strings,
 * joined with single spaces for the checks). Checks, in order:
 *  - NUL and control characters other than tab are refused (they end or split lines).
 *  - Without "shell": true, shell metacharacters are refused: ";", "|", "&", "$(", "`",
 *    ">", "<", newline, carriage return. A server that hands the line to sh -c would
 *    otherwise run a second command the allow list never saw.
 *  - With "shell": true, the line is cut at every run of ";", "&", "|" and newline, and
 *    every piece is held to the first-token and deny checks. This is not a shell parser:
 *    quoting is not understood (a quoted ";" splits too, which can only refuse more),
 *    redirection targets are not checked against mcp.paths, and "$(" and "`" stay refused
 *    because a substitution can sit anywhere inside a token.
 *  - The first token must be in "allow" (when "allow" is absent, any first token but the
 *    privilege changers sudo, su, doas, pkexec, runuser, run0 is fine; listing one of them
 *    in "allow" permits it). A leading directory counts only when it is a system bin
 *    directory (/usr/bin/git is git; ./git or /tmp/git is not: the server may have planted
 *    it); an allow entry containing "/" must match exactly. Allowing a program that runs
 *    others (env, xargs, sh, bash, find, timeout, nice) allows everything.
 *  - No deny pattern may match anywhere in the line (PCRE2, UTF mode, JIT when available).
 *    Deny patterns are a second line of defence: they see the text, not what a shell makes
 *    of it. A pattern that cannot be evaluated (match limit, invalid UTF-8) counts as a
 *    match. */
#pragma once

#include <stddef.h>
#include <jansson.h>

#include "inspect/rules/decision.h"
#include "util/error.h"

struct command_rules;

/* commands: the tool's "commands" object; map_rule: its pointer
 * ("/mcp/tools/run_command/commands"). A deny pattern that does not compile is an error
 * naming its pointer and PCRE2's message. */
int command_rules_compile(json_t *commands, const char *map_rule, struct command_rules **out,
                          struct mc_error *err);
void command_rules_free(struct command_rules *c);

/* Every value every pointer reaches must pass; an absent argument is fine (the server runs
 * nothing it was not given), a value of another type is denied. Allow: d->rule = map_rule. */
void command_check_arguments(const struct command_rules *c, json_t *arguments,
                             struct rule_decision *d);
