/* The in-flight table: insert/find/remove by binary-safe keys, a churn test against a
 * plain array as the model (backward-shift deletion must never lose an entry), the bound,
 * and take_all in insertion order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/idtable.h"
#include "tap.h"

static struct inflight *entry(const char *key, size_t len)
{
        struct inflight *e = calloc(1, sizeof(*e));
        e->key = malloc(len);
        memcpy(e->key, key, len);
        e->key_len = len;
        e->method = strdup("tools/call");
        return e;
}

static void test_basics(void)
{
        struct idtable *t;
        tap_ok(idtable_new(&t, 8) == 0, "new");
        tap_ok(idtable_insert(t, entry("i:1", 3)) == 0, "insert i:1");
        tap_ok(idtable_insert(t, entry("s:1", 3)) == 0, "insert s:1 (1 and \"1\" differ)");
        tap_ok(idtable_insert(t, entry("s:a\0b", 5)) == 0, "insert a key with a NUL");
        struct inflight *dup = entry("i:1", 3);
        tap_ok(idtable_insert(t, dup) == -EEXIST, "a key in flight is refused");
        inflight_free(dup);
        tap_ok(idtable_find(t, "s:a\0b", 5) && !idtable_find(t, "s:a", 3), "binary-safe lookup");
        tap_ok(idtable_count(t) == 3, "count 3");
        struct inflight *e = idtable_remove(t, "i:1", 3);
        tap_ok(e && e->key_len == 3 && !idtable_find(t, "i:1", 3), "remove hands the entry back");
        inflight_free(e);
        tap_ok(idtable_remove(t, "i:1", 3) == NULL, "removing twice finds nothing");
        tap_ok(idtable_find(t, "s:1", 3) != NULL, "the other entries stay");

        for (int i = 0; i < 6; i++) {
                char k[16];
                int n = snprintf(k, sizeof(k), "i:%d", 100 + i);
                struct inflight *x = entry(k, (size_t)n);
                int r = idtable_insert(t, x);
                if (r < 0)
                        inflight_free(x);
        }
        tap_ok(idtable_count(t) == 8, "filled to the maximum of 8");
        struct inflight *over = entry("i:999", 5);
        tap_ok(idtable_insert(t, over) == -ENOSPC, "beyond the maximum: -ENOSPC, no growth");
        inflight_free(over);

        size_t n;
        struct inflight **all = idtable_take_all(t, &n);
        bool ordered = n == 8;
        for (size_t i = 1; i < n; i++)
                ordered = ordered && all[i - 1]->seq < all[i]->seq;
        tap_ok(ordered && !memcmp(all[0]->key, "s:1", 3), "take_all returns 8 in insertion order");
        tap_ok(idtable_count(t) == 0 && !idtable_find(t, "s:1", 3), "take_all empties the table");
        for (size_t i = 0; i < n; i++)
                inflight_free(all[i]);
        free(all);
        idtable_free(t);
}

static void test_churn(void)
{
        enum { MAX = 4096, KEYS = 6000, ROUNDS = 200000 };
        static bool present[KEYS];
        struct idtable *t;
        idtable_new(&t, MAX);
        unsigned long long rng = 88172645463325252ULL;
        size_t model = 0;
        bool ok = true;
        for (int r = 0; r < ROUNDS && ok; r++) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                int k = (int)(rng % KEYS);
                char key[16];
                int n = snprintf(key, sizeof(key), "i:%d", k);
                if (rng >> 63) {
                        struct inflight *e = entry(key, (size_t)n);
                        int rc = idtable_insert(t, e);
                        int want = present[k] ? -EEXIST : model >= MAX ? -ENOSPC : 0;
                        ok = rc == want;
                        if (rc == 0)
                                present[k] = true, model++;
                        else
                                inflight_free(e);
                } else {
                        struct inflight *e = idtable_remove(t, key, (size_t)n);
                        ok = (e != NULL) == present[k];
                        if (e)
                                present[k] = false, model--;
                        inflight_free(e);
                }
        }
        tap_ok(ok, "200000 random inserts/removes agree with the model");
        tap_ok(idtable_count(t) == model, "count agrees (%zu)", model);
        bool all = true;
        for (int k = 0; k < KEYS; k++) {
                char key[16];
                int n = snprintf(key, sizeof(key), "i:%d", k);
                all = all && (idtable_find(t, key, (size_t)n) != NULL) == present[k];
        }
        tap_ok(all, "every key is found exactly when present");
        idtable_free(t);
}

/* The rings of answered and cancelled ids: a key is taken once; the oldest is forgotten
 * when IDRING_SIZE more arrive; an empty ring finds nothing without looking. */
static void test_ring(void)
{
        struct idring r = { 0 };
        char key[16];
        tap_ok(!idring_take(&r, "1", 1), "an empty ring holds nothing");
        for (int i = 0; i < IDRING_SIZE + 3; i++) {
                int n = snprintf(key, sizeof(key), "%d", i);
                if (idring_add(&r, key, (size_t)n) < 0)
                        abort();
        }
        tap_ok(!idring_take(&r, "2", 1), "the oldest keys are forgotten");
        tap_ok(idring_take(&r, "3", 1) && !idring_take(&r, "3", 1), "a key is taken once");
        bool all = true;
        for (int i = 4; i < IDRING_SIZE + 3; i++) {
                int n = snprintf(key, sizeof(key), "%d", i);
                all = all && idring_take(&r, key, (size_t)n);
        }
        tap_ok(all && r.held == 0, "every remembered key is found, then none is held");
        tap_ok(idring_add(&r, "x", 1) == 0 && idring_take(&r, "x", 1), "a ring emptied by takes works again");
        idring_add(&r, "y", 1);
        idring_clear(&r);
        tap_ok(r.held == 0 && !idring_take(&r, "y", 1), "idring_clear forgets everything");
}

int main(void)
{
        struct idtable *t;
        tap_ok(idtable_new(&t, 0) == -EINVAL, "a maximum of 0 is refused");
        test_basics();
        test_churn();
        test_ring();
        return tap_done();
}
