/* What the audit layer's files share with each other and nobody else: the handle and the
 * one function each file exports to the others. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <jansson.h>
#include <openssl/types.h>

#include "audit/audit.h"
#include "util/error.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/hex.h"
#include "util/sha256.h"

#define AUDIT_SESSION_HEX 32            /* 128 bits */
#define AUDIT_DIGEST_LEN 32             /* SHA-256 */
#define AUDIT_DIGEST_HEX (2 * AUDIT_DIGEST_LEN)
#define AUDIT_KEY_MAX 4096
#define AUDIT_KEY_MIN 16                /* a shorter HMAC key is guessable */

struct audit_key {
        unsigned char *bytes;           /* NULL: plain SHA-256 chain */
        size_t len;
};

/* The digest contexts, set up once per log (chain.c). */
struct audit_chain {
        EVP_MAC_CTX *mac_ctx;           /* HMAC-SHA256 chain, keyed once; NULL: SHA-256 */
};

struct audit_sink {
        char *path;                     /* NULL when writing to stderr or nowhere */
        int fd;                         /* -1: no file sink */
        bool failing;                   /* a write failed and we said so on stderr */
        uint64_t lost;                  /* records lost since the failure was said */
};

struct audit_alert {
        int fd;                         /* non-blocking write end of the helper's pipe */
        uint64_t dropped;
        bool said_dropped;
};

/* The ts field: the date and time to the second are formatted when the second changes, not
 * once per record (record.c). */
struct audit_clock {
        bool fixed;                     /* tests only: every record stamped fixed_now */
        struct timespec fixed_now;
        bool cached;
        time_t sec;                     /* the second that date[] spells */
        char date[32];                  /* "2026-11-22T10:15:03" */
        size_t date_len;
};

/* Records emitted while the relay holds them (audit_hold): built, chained and written in
 * order at the next audit_flush. */
#define AUDIT_HOLD_MAX 64
#define AUDIT_EVENT_MAX 24

struct audit_held {
        char event[AUDIT_EVENT_MAX];
        json_t *fields;                 /* audit_emit */
        bool members;                   /* audit_emit_members: */
        size_t off, len;                /* its members, in held_members */
};

struct audit {
        char session[AUDIT_SESSION_HEX + 1];
        char *server;
        char *server_json;              /* server as a JSON string, escaped once; NULL: not UTF-8 */
        size_t server_json_len;
        uint64_t seq;
        char prev[AUDIT_DIGEST_HEX + 1];        /* "" before the first record */
        struct audit_key key;
        struct audit_chain chain;
        struct audit_sink sink;
        struct audit_alert alert;       /* the helper: alert command and syslog */
        struct audit_clock clock;
        struct buf line;                /* the record being written, reused across records */
        bool hold;                      /* audit_hold: records wait for audit_flush */
        size_t n_held;
        struct audit_held held[AUDIT_HOLD_MAX];
        struct buf held_members;        /* the members of the held audit_emit_members records */
        struct buf batch;               /* the held records' lines, one write() for all */
};

/* Tests only: stamp every record with *now (NULL: the real clock again), so a test can pin
 * a record's exact bytes together with a session id written into a->session. */
void audit_fix_clock(struct audit *a, const struct timespec *now);

/* record.c */
int record_session_id(char out[static AUDIT_SESSION_HEX + 1], struct mc_error *err);
/* The server name as a JSON string token ("..." with jansson's escapes), or NULL when it is
 * not UTF-8 (jansson refuses it; then no record can be written, as before this cache). */
char *record_server_json(const char *server);
/* Serialise one record into a->line (replacing what it held): compact, the head then the
 * fields in insertion order, no newline. Steals `fields`. Returns -EINVAL when `fields` tries
 * to set one of the chain's own keys. */
int record_build(struct audit *a, const char *event, json_t *fields);
bool record_reserved_key(const char *key);
/* The same with the fields already serialised (audit_emit_members). */
int record_build_members(struct audit *a, const char *event, const char *members, size_t len);

/* Appends to the record line without a call per piece: a record is built from dozens of
 * small pieces, and buf_append's out-of-line call was a tenth of the record's cost. */
static inline int line_put(struct buf *b, const void *p, size_t n)
{
        if (n == 0)
                return 0;
        if (b->cap - b->len < n && buf_reserve(b, n) < 0)
                return -ENOMEM;
        memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
}

static inline int line_putc(struct buf *b, char c)
{
        if (b->cap == b->len && buf_reserve(b, 1) < 0)
                return -ENOMEM;
        b->data[b->len++] = c;
        return 0;
}

#define line_puts(b, literal) line_put((b), (literal), sizeof(literal) - 1)

/* An object key's length: jansson >= 2.14 keys may hold NUL bytes (json_object_setn);
 * older ones are C strings. */
static inline size_t record_key_len(void *iter)
{
#if JANSSON_VERSION_HEX >= 0x020e00
        return json_object_iter_key_len(iter);
#else
        return strlen(json_object_iter_key(iter));
#endif
}

/* record-json.c: append the members of object obj ("k":v,... without braces) as
 * json_dumpb(JSON_COMPACT) writes them. 0, -ENOMEM, or -EAGAIN: this value needs jansson's
 * own dump (b then holds a partial write for the caller to drop). */
int record_json_members(struct buf *b, const json_t *obj);

/* chain.c: hex SHA-256 of data, or HMAC-SHA256 under the key given to chain_init when it
 * has bytes. chain_init returns 0 or -errno with err saying why. */
int chain_init(struct audit_chain *c, const struct audit_key *key, struct mc_error *err);
int chain_digest(struct audit_chain *c, const void *data, size_t len,
                 char out[static AUDIT_DIGEST_HEX + 1]);
void chain_free(struct audit_chain *c);

/* key.c */
int key_load(struct audit_key *key, const char *path, struct mc_error *err);
void key_clear(struct audit_key *key);

/* sink.c */
int sink_open(struct audit_sink *s, const char *path, struct mc_error *err);
int sink_reopen(struct audit_sink *s, struct mc_error *err);
/* len includes the last '\n'; `records` is how many lines data holds (for the count of lost) */
int sink_write(struct audit_sink *s, const char *data, size_t len, uint64_t records);
void sink_close(struct audit_sink *s);

/* sink-syslog.c: called in the alert helper only */
void sink_syslog_open(void);
void sink_syslog_send(const char *severity, const char *line, size_t len); /* len without '\n' */

/* alert.c */
/* Starts the helper when there is an alert command or syslog to feed. */
int alert_start(struct audit_alert *al, char *const *argv, bool syslog, struct mc_error *err);
void alert_send(struct audit_alert *al, const char *line, size_t len); /* len includes '\n' */
void alert_stop(struct audit_alert *al);
