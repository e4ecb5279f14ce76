/* Token buckets for mcp.tools.<tool>.rate and mcp.limits.calls ("10/min": capacity 10,
 * refilled continuously at 10 per minute). The caller passes monotonic time in: nothing
 * here reads a clock, so tests are deterministic and a bucket is a plain value the
 * inspector embeds (one per tool rule with a rate, one global). Rates arrive as
 * (count, per_ms) from policy_parse_rate() of the policy layer. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "inspect/rules/decision.h"

struct rate_bucket {
        uint64_t count, per_ms;
        /* Fill level in units of 1/per_ms token, so refilling `count` units per ms is exact
         * integer arithmetic: full = count * per_ms, one call costs per_ms. */
        uint64_t level;
        uint64_t last_ms;
        bool started;
};

/* 0, or -EINVAL when count or per_ms is 0 or count * per_ms overflows. The bucket starts
 * full at its first use. */
int rate_bucket_init(struct rate_bucket *b, uint64_t count, uint64_t per_ms);
/* Take one token at now_ms: true, or false with *retry_after_ms (>= 1) until one is back. */
bool rate_bucket_take(struct rate_bucket *b, uint64_t now_ms, uint64_t *retry_after_ms);
/* The same as a decision: rule is the rate's pointer ("/mcp/tools/write_file/rate",
 * "/mcp/limits/calls"); on deny the reason says how long to wait (the inspector answers
 * 429 with data.retry_after_ms). retry_after_ms may be NULL. */
void rate_check(struct rate_bucket *b, uint64_t now_ms, const char *rule, struct rule_decision *d,
                uint64_t *retry_after_ms);
