/* threats.md §2 "a burst past rate": token buckets with a clock the test controls. */
#include "inspect/rules/ratelimit.h"

#include <errno.h>
#include <stdint.h>

#include "tap.h"

int main(void)
{
        struct rate_bucket b;
        uint64_t wait = 0, t0 = 1000000;
        int allowed = 0;

        tap_ok(rate_bucket_init(&b, 0, 60000) == -EINVAL, "count 0 is refused");
        tap_ok(rate_bucket_init(&b, 1, 0) == -EINVAL, "per 0 ms is refused");
        tap_ok(rate_bucket_init(&b, UINT64_MAX / 2, 3) == -EINVAL, "an overflowing rate is refused");

        /* 10/min: a burst of 10 passes, the 11th waits 6 s (one token per 6000 ms) */
        tap_ok(rate_bucket_init(&b, 10, 60000) == 0, "10/min initialises");
        for (int i = 0; i < 10; i++)
                allowed += rate_bucket_take(&b, t0, &wait);
        tap_ok(allowed == 10, "a burst of 10 at one instant passes (%d)", allowed);
        tap_ok(!rate_bucket_take(&b, t0, &wait) && wait == 6000, "the 11th waits 6000 ms (%llu)",
               (unsigned long long)wait);
        tap_ok(!rate_bucket_take(&b, t0 + 5999, &wait) && wait == 1,
               "1 ms before the token is back: wait 1 ms (%llu)", (unsigned long long)wait);
        tap_ok(rate_bucket_take(&b, t0 + 6000, &wait), "after 6000 ms one call passes");
        tap_ok(!rate_bucket_take(&b, t0 + 6000, &wait), "... and only one");
        tap_ok(rate_bucket_take(&b, t0 + 60000000, &wait), "after a long pause calls pass again");
        allowed = 1;
        for (int i = 0; i < 20; i++)
                allowed += rate_bucket_take(&b, t0 + 60000000, &wait);
        tap_ok(allowed == 10, "a long pause refills to capacity, never more (%d)", allowed);

        /* clock going backwards refills nothing */
        tap_ok(!rate_bucket_take(&b, t0, &wait) && wait >= 1, "time going back refills nothing");

        /* 5/s: steady rate of one per 200 ms is sustainable */
        rate_bucket_init(&b, 5, 1000);
        allowed = 0;
        for (int i = 0; i < 100; i++)
                allowed += rate_bucket_take(&b, t0 + (uint64_t)i * 200, &wait);
        tap_ok(allowed == 100, "one call per 200 ms under 5/s always passes (%d)", allowed);
        allowed = 0;
        for (int i = 0; i < 100; i++)
                allowed += rate_bucket_take(&b, t0 + 20000 + (uint64_t)i * 100, &wait);
        tap_ok(allowed >= 54 && allowed <= 56, "one call per 100 ms under 5/s: about half pass (%d)",
               allowed);

        /* the decision form */
        struct rule_decision d;
        rate_bucket_init(&b, 1, 60000);
        rate_check(&b, t0, "/mcp/tools/write_file/rate", &d, &wait);
        tap_ok(d.allow && wait == 0, "rate_check allows the first call");
        rate_check(&b, t0 + 1000, "/mcp/tools/write_file/rate", &d, &wait);
        tap_ok(!d.allow && wait == 59000, "rate_check denies the second with retry 59000 ms");
        tap_is_str(d.rule, "/mcp/tools/write_file/rate", "  ... naming the rate rule");
        printf("#   reason: %s\n", d.reason);
        return tap_done();
}
