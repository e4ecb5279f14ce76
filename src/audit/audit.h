/* The audit log of audit.md: JSONL records, one write() each on an O_APPEND file, chained by
 * SHA-256 (HMAC-SHA256 with audit.key). The sink never holds a secret: callers pass
 * sanitised fields. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "util/buf.h"
#include "util/error.h"

struct audit;

struct audit_config {
        const char *file;       /* path, "-" for stderr, NULL for no audit at all */
        const char *key_file;   /* audit.key, or NULL: plain SHA-256 chain */
        bool syslog;            /* also send security events to syslog */
        const char *server;     /* the `server` field */
        char *const *alert;     /* audit.alert argv (NULL-terminated) or NULL */
};

int audit_open(struct audit **out, const struct audit_config *cfg, struct mc_error *err);
/* Write session_end if not written yet? No: callers write it. This flushes and frees. */
void audit_close(struct audit *a);
/* SIGHUP: reopen the file by path (logrotate moved it). */
int audit_reopen(struct audit *a, struct mc_error *err);

/* Emit one record: adds v, ts, session, seq, server, event, prev in that order, then the
 * fields of `fields` (stolen reference; may be NULL). Never blocks on anything but the
 * write() itself. Returns 0 or -errno (the caller logs and carries on: a full disk must not
 * kill the relay, but it is said once on stderr). */
int audit_emit(struct audit *a, const char *event, json_t *fields);

/* audit_emit with the fields already serialised: `members` is `"key":value,...` (no braces,
 * may be empty), valid JSON written with the audit_json_* functions below, none of them a
 * key of the record's head. The relay's call records take this path: building a jansson
 * object per call and walking it again cost more than the rest of the record. */
int audit_emit_members(struct audit *a, const char *event, const char *members, size_t len);

/* JSON exactly as the audit log writes it (jansson's JSON_COMPACT bytes), appended to b.
 * 0, -ENOMEM, or -EAGAIN: the value needs jansson (a real, a string that is not UTF-8):
 * then build the record as a json_t for audit_emit instead. */
int audit_json_string(struct buf *b, const char *s, size_t len);
int audit_json_integer(struct buf *b, json_int_t v);
int audit_json_value(struct buf *b, const json_t *v);

/* While held, audit_emit only queues its record; audit_flush builds, chains and writes the
 * queued ones in order, with one write() for all of them (also when AUDIT_HOLD_MAX are
 * queued, before any record emitted unheld, and at audit_close). The relay holds records
 * while it runs and flushes after each round's output, so building and writing the record
 * of a call is off the path of the message that ends it. audit_hold(a, false) flushes.
 * audit_flush returns 0 or the last -errno (the records were chained all the same). */
void audit_hold(struct audit *a, bool on);
int audit_flush(struct audit *a);

/* Security events: kind of audit.md, severity "info"|"warning"|"critical", detail (short,
 * no secrets), id_raw (raw JSON id text or NULL), tool (or NULL). */
int audit_security(struct audit *a, const char *kind, const char *severity, const char *detail,
                   const char *id_raw, const char *tool);

/* The session id (32 hex chars). */
const char *audit_session_id(const struct audit *a);

/* `mcpcage audit verify [--strict] [--key FILE] FILE`: exit code 0 ok, 1 broken. */
int audit_cmd_verify(int argc, char **argv);
