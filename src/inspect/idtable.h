/* The in-flight requests of one direction, keyed by jsonrpc id_key ("i:<digits>" or
 * "s:<decoded text>", binary-safe). Open addressing with linear probing and a per-process
 * random hash seed; O(1) on average and bounded: a table refuses entries beyond its
 * maximum (-ENOSPC) instead of growing, so a peer that never answers (or floods requests)
 * costs at most max_entries entries of memory (threats.md §4 "bounded memory"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define IDTABLE_DEFAULT_MAX 4096

enum inflight_flag {
        INFLIGHT_ANSWERED = 1u << 0,    /* mcpcage answered the sender itself (drain, timeout) */
        INFLIGHT_FORWARDED = 1u << 1,   /* the peer saw the request */
        INFLIGHT_NUL_NAME = 1u << 2,    /* the tool name or uri decodes with a U+0000 in it */
        INFLIGHT_DENIED = 1u << 3,      /* the policy refused it (decision "deny") */
        INFLIGHT_HELD = 1u << 4,        /* waiting for the user's confirmation (legacy era) */
        INFLIGHT_CONFIRMED = 1u << 5,   /* the user confirmed it */
        INFLIGHT_ARGS_DEFERRED = 1u << 6, /* arguments: the rules' parsed tree, sanitised once
                                           * they are done with it (inflight_settle_arguments) */
};

/* Host requests forwarded under mcp.limits.call_timeout, oldest first. With one timeout for
 * every call, insertion order is deadline order, so the next deadline is the head's and an
 * entry leaves the list in O(1) when it is answered or freed. */
struct deadline_list {
        struct inflight *head, *tail;
};

struct inflight {
        char *key;              /* id_key, owned */
        size_t key_len;
        char *id_raw;           /* the raw id token, owned, NUL-terminated */
        size_t id_len;
        char *method;           /* owned */
        char *tool;             /* tools/call params.name, owned or NULL */
        char *uri;              /* resources/read params.uri, owned or NULL */
        json_t *arguments;      /* sanitised arguments for the audit record, or NULL */
        json_t *redactions;     /* {kind: count} of the call record, or NULL */
        json_t *marks;          /* the call record's flags ("injection:hidden_unicode"), or NULL */
        char *rule;             /* owned: JSON pointer of the rule that decided, or NULL */
        char *reason;           /* owned: why it was refused, or NULL */
        uint64_t deadline_ns;   /* call_timeout: when the host gets an error (0 = none) */
        struct deadline_list *dl; /* the list this entry is linked into, or NULL */
        struct inflight *dprev, *dnext;
        uint64_t start_ns, seq;
        size_t request_bytes;
        unsigned flags;
};

void inflight_free(struct inflight *e);  /* also unlinks it from its deadline list */
void deadline_link(struct deadline_list *l, struct inflight *e, uint64_t deadline_ns);
void deadline_unlink(struct inflight *e);

struct idtable;

int idtable_new(struct idtable **out, size_t max_entries);     /* 0 or -ENOMEM, -EINVAL */
void idtable_free(struct idtable *t);                           /* frees every entry */
size_t idtable_count(const struct idtable *t);
size_t idtable_max(const struct idtable *t);
struct inflight *idtable_find(const struct idtable *t, const char *key, size_t key_len);
/* 0: the table owns e (e->seq is set). -EEXIST: the key is in flight. -ENOSPC: the table is
 * at its maximum. -ENOMEM. On error the caller still owns e. */
int idtable_insert(struct idtable *t, struct inflight *e);
/* Unlink and hand back the entry (the caller frees it), or NULL. */
struct inflight *idtable_remove(struct idtable *t, const char *key, size_t key_len);
/* Empty the table into a malloc'd array in insertion order (*n entries, caller frees each
 * and the array). Returns NULL with *n == 0 when empty or -ENOMEM (then the table keeps its
 * entries). */
struct inflight **idtable_take_all(struct idtable *t, size_t *n);

/* A small ring of recently closed ids (requests mcpcage answered without forwarding, or
 * that were cancelled), so that a late cancel or a late answer for one of them is dropped
 * quietly instead of reaching the peer or raising a false spoofing alarm. Oldest entries
 * fall out: memory stays bounded. */
#define IDRING_SIZE 64
struct idring {
        char *keys[IDRING_SIZE];
        size_t lens[IDRING_SIZE];
        size_t next;
        size_t held;            /* keys not NULL: idring_take of an empty ring looks at none */
};
int idring_add(struct idring *r, const char *key, size_t key_len);     /* 0 or -ENOMEM */
bool idring_take(struct idring *r, const char *key, size_t key_len);   /* found (and forgotten) */
void idring_clear(struct idring *r);
