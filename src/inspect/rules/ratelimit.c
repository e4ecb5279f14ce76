#include "inspect/rules/ratelimit.h"

#include <errno.h>

int rate_bucket_init(struct rate_bucket *b, uint64_t count, uint64_t per_ms)
{
        if (count == 0 || per_ms == 0 || count > UINT64_MAX / per_ms)
                return -EINVAL;
        *b = (struct rate_bucket){ .count = count, .per_ms = per_ms };
        return 0;
}

static void refill(struct rate_bucket *b, uint64_t now_ms)
{
        uint64_t full = b->count * b->per_ms;

        if (!b->started) {
                b->level = full;
                b->last_ms = now_ms;
                b->started = true;
                return;
        }
        /* Monotonic time does not go back; if a caller's does, refill nothing rather than
         * wrap around to a huge elapsed time. */
        uint64_t elapsed = now_ms > b->last_ms ? now_ms - b->last_ms : 0;
        b->last_ms = now_ms > b->last_ms ? now_ms : b->last_ms;
        if (elapsed >= b->per_ms || elapsed * b->count >= full - b->level)
                b->level = full;
        else
                b->level += elapsed * b->count;
}

bool rate_bucket_take(struct rate_bucket *b, uint64_t now_ms, uint64_t *retry_after_ms)
{
        refill(b, now_ms);
        if (b->level >= b->per_ms) {
                b->level -= b->per_ms;
                return true;
        }
        uint64_t missing = b->per_ms - b->level;
        *retry_after_ms = (missing + b->count - 1) / b->count;
        return false;
}

void rate_check(struct rate_bucket *b, uint64_t now_ms, const char *rule, struct rule_decision *d,
                uint64_t *retry_after_ms)
{
        uint64_t wait = 0;

        if (rate_bucket_take(b, now_ms, &wait))
                rule_allow(d, rule);
        else
                rule_deny(d, rule, "rate limit of %llu per %llu ms reached; retry in %llu ms",
                          (unsigned long long)b->count, (unsigned long long)b->per_ms,
                          (unsigned long long)wait);
        if (retry_after_ms)
                *retry_after_ms = wait;
}
