/* The audit log of audit.md: JSONL records, one write() each on an O_APPEND file, chained by
 * SHA-256 (HMAC-SHA256 with audit.key). The sink never holds a secret: callers pass
 * sanitised fields. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

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

/* Security events: kind of audit.md, severity "info"|"warning"|"critical", detail (short,
 * no secrets), id_raw (raw JSON id text or NULL), tool (or NULL). */
int audit_security(struct audit *a, const char *kind, const char *severity, const char *detail,
                   const char *id_raw, const char *tool);

/* The session id (32 hex chars). */
const char *audit_session_id(const struct audit *a);

/* `mcpcage audit verify [--strict] [--key FILE] FILE`: exit code 0 ok, 1 broken. */
int audit_cmd_verify(int argc, char **argv);
