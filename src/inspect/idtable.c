/* The in-flight table (see idtable.h). Linear probing with backward-shift deletion (no
 * tombstones to accumulate over a long session); the hash is seeded per process so ids
 * chosen by a hostile server cannot be aimed at one probe chain. */
#include "inspect/idtable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

struct slot {
        struct inflight *e;
        uint64_t h;
};

struct idtable {
        struct slot *slots;
        size_t cap, count, max;
        uint64_t next_seq, seed;
};

void deadline_link(struct deadline_list *l, struct inflight *e, uint64_t deadline_ns)
{
        deadline_unlink(e);
        e->deadline_ns = deadline_ns;
        e->dl = l;
        e->dprev = l->tail;
        e->dnext = NULL;
        if (l->tail)
                l->tail->dnext = e;
        else
                l->head = e;
        l->tail = e;
}

void deadline_unlink(struct inflight *e)
{
        if (!e->dl)
                return;
        if (e->dprev)
                e->dprev->dnext = e->dnext;
        else
                e->dl->head = e->dnext;
        if (e->dnext)
                e->dnext->dprev = e->dprev;
        else
                e->dl->tail = e->dprev;
        e->dl = NULL;
        e->dprev = e->dnext = NULL;
}

void inflight_free(struct inflight *e)
{
        if (!e)
                return;
        deadline_unlink(e);
        free(e->rule);
        free(e->reason);
        free(e->key);
        free(e->id_raw);
        free(e->method);
        free(e->tool);
        free(e->uri);
        json_decref(e->arguments);
        json_decref(e->redactions);
        json_decref(e->marks);
        free(e);
}

static uint64_t hash(const struct idtable *t, const char *k, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ULL ^ t->seed;
        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char)k[i];
                h *= 0x100000001b3ULL;
        }
        /* murmur3 finaliser: every key bit reaches the low bits used as the index */
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h;
}

int idtable_new(struct idtable **out, size_t max_entries)
{
        if (max_entries == 0 || max_entries > (1u << 24))
                return -EINVAL;
        struct idtable *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->cap = 16;
        t->max = max_entries;
        t->slots = calloc(t->cap, sizeof(*t->slots));
        if (!t->slots) {
                free(t);
                return -ENOMEM;
        }
        if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed)) {
                /* a weaker seed only costs speed under attack, never correctness */
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                t->seed = (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)t;
        }
        *out = t;
        return 0;
}

void idtable_free(struct idtable *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->cap; i++)
                inflight_free(t->slots[i].e);
        free(t->slots);
        free(t);
}

size_t idtable_count(const struct idtable *t) { return t->count; }
size_t idtable_max(const struct idtable *t) { return t->max; }

static size_t find_slot(const struct idtable *t, const char *key, size_t len, uint64_t h)
{
        size_t mask = t->cap - 1;
        for (size_t i = h & mask;; i = (i + 1) & mask) {
                const struct slot *s = &t->slots[i];
                if (!s->e || (s->h == h && s->e->key_len == len && !memcmp(s->e->key, key, len)))
                        return i;
        }
}

struct inflight *idtable_find(const struct idtable *t, const char *key, size_t key_len)
{
        uint64_t h = hash(t, key, key_len);
        return t->slots[find_slot(t, key, key_len, h)].e;
}

static int grow(struct idtable *t)
{
        size_t ncap = t->cap * 2;
        struct slot *ns = calloc(ncap, sizeof(*ns));
        if (!ns)
                return -ENOMEM;
        for (size_t i = 0; i < t->cap; i++) {
                if (!t->slots[i].e)
                        continue;
                size_t j = t->slots[i].h & (ncap - 1);
                while (ns[j].e)
                        j = (j + 1) & (ncap - 1);
                ns[j] = t->slots[i];
        }
        free(t->slots);
        t->slots = ns;
        t->cap = ncap;
        return 0;
}

int idtable_insert(struct idtable *t, struct inflight *e)
{
        uint64_t h = hash(t, e->key, e->key_len);
        size_t i = find_slot(t, e->key, e->key_len, h);
        if (t->slots[i].e)
                return -EEXIST;
        if (t->count >= t->max)
                return -ENOSPC;
        if ((t->count + 1) * 2 > t->cap) {
                int r = grow(t);
                if (r < 0)
                        return r;
                i = find_slot(t, e->key, e->key_len, h);
        }
        e->seq = t->next_seq++;
        t->slots[i] = (struct slot){ e, h };
        t->count++;
        return 0;
}

struct inflight *idtable_remove(struct idtable *t, const char *key, size_t key_len)
{
        size_t mask = t->cap - 1;
        size_t i = find_slot(t, key, key_len, hash(t, key, key_len));
        struct inflight *e = t->slots[i].e;
        if (!e)
                return NULL;
        /* backward shift: pull later members of the probe chain into the hole */
        size_t hole = i;
        for (size_t j = (i + 1) & mask; t->slots[j].e; j = (j + 1) & mask) {
                size_t home = t->slots[j].h & mask;
                bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
                if (movable) {
                        t->slots[hole] = t->slots[j];
                        hole = j;
                }
        }
        t->slots[hole] = (struct slot){ 0 };
        t->count--;
        return e;
}

static int by_seq(const void *a, const void *b)
{
        const struct inflight *x = *(struct inflight *const *)a, *y = *(struct inflight *const *)b;
        return (x->seq > y->seq) - (x->seq < y->seq);
}

struct inflight **idtable_take_all(struct idtable *t, size_t *n)
{
        *n = 0;
        if (!t->count)
                return NULL;
        struct inflight **v = malloc(t->count * sizeof(*v));
        if (!v)
                return NULL;
        for (size_t i = 0; i < t->cap; i++)
                if (t->slots[i].e) {
                        v[(*n)++] = t->slots[i].e;
                        t->slots[i] = (struct slot){ 0 };
                }
        t->count = 0;
        qsort(v, *n, sizeof(*v), by_seq);
        return v;
}

int idring_add(struct idring *r, const char *key, size_t key_len)
{
        char *k = malloc(key_len ? key_len : 1);
        if (!k)
                return -ENOMEM;
        memcpy(k, key, key_len);
        if (!r->keys[r->next])
                r->held++;
        free(r->keys[r->next]);
        r->keys[r->next] = k;
        r->lens[r->next] = key_len;
        r->next = (r->next + 1) % IDRING_SIZE;
        return 0;
}

bool idring_take(struct idring *r, const char *key, size_t key_len)
{
        for (size_t i = 0; r->held && i < IDRING_SIZE; i++)
                if (r->keys[i] && r->lens[i] == key_len && !memcmp(r->keys[i], key, key_len)) {
                        free(r->keys[i]);
                        r->keys[i] = NULL;
                        r->held--;
                        return true;
                }
        return false;
}

void idring_clear(struct idring *r)
{
        for (size_t i = 0; i < IDRING_SIZE; i++) {
                free(r->keys[i]);
                r->keys[i] = NULL;
        }
        r->next = r->held = 0;
}
