/* The small value every rule check returns: allow or deny, the JSON pointer of the policy
 * rule that decided (the audit record's `rule` field) and, on deny, a reason naming what
 * failed (the text after "mcpcage: denied: " in the answer to the host). Checks never
 * allocate and never fail: anything they cannot decide is a deny with a reason. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define RULE_POINTER_MAX 256
#define RULE_REASON_MAX 256

struct rule_decision {
        bool allow;
        char rule[RULE_POINTER_MAX];    /* "/mcp/tools/write_file/paths/~1path" */
        char reason[RULE_REASON_MAX];   /* "" when allowed */
};

void rule_allow(struct rule_decision *d, const char *rule);
void rule_deny(struct rule_decision *d, const char *rule, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* snprintf for the bounded pointer and reason buffers, where truncation is accepted (a
 * shortened reason is still a deny); false when the text was cut. */
bool rule_format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Put "<prefix>: " in front of d->reason ("argument /path: ..."). */
void rule_reason_prefix(struct rule_decision *d, const char *prefix);

/* Append one RFC 6901 reference token to a pointer ("~" -> "~0", "/" -> "~1"), so a tool
 * named "a/b" or an argument pointer "/path" yields an unambiguous pointer. Truncates
 * (always NUL-terminated) when the result does not fit; returns false then. */
bool rule_pointer_append(char *ptr, size_t size, const char *token);
