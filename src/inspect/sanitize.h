/* What of a request's arguments goes into its audit record (policy audit.arguments). The
 * audit log is read by more people than the session itself and often shipped to a SIEM,
 * so by default secrets-by-name are hashed and long strings cut (audit.md: a record never
 * holds a secret). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum args_mode {
        ARGS_SANITIZED,         /* default: secret-named values hashed, strings cut, redaction */
        ARGS_FULL,              /* as sent */
        ARGS_SHAPE,             /* types and sizes only */
        ARGS_NONE,              /* omitted */
};

#define SANITIZE_MAX_STRING 256
#define SANITIZE_MAX_ITEMS 16   /* ARGS_SHAPE: array elements described before "+N more" */

/* "full", "sanitized", "shape", "none" (NULL = the default). 0 or -EINVAL. */
int args_mode_parse(const char *s, enum args_mode *mode);

/* The redaction step (mcp.redact.arguments) plugs in here: called in ARGS_SANITIZED mode for
 * every string value before it is cut; returns a new string reference to use instead, or
 * NULL to keep the value. */
struct sanitize_hooks {
        json_t *(*redact)(void *ctx, const char *s, size_t len);
        void *ctx;
};

/* True when a key names a credential: password, passwd, token, secret, key, authorization,
 * cookie, credential anywhere in it, any case ("apiKey", "X-Auth-Token"). */
bool sanitize_key_is_secret(const char *key);

/* The record value for the raw arguments JSON (already validated by jsonrpc_parse): a new
 * reference, or NULL for ARGS_NONE or out of memory. A value jansson cannot represent is
 * recorded as a marker string, never as its raw text. */
json_t *sanitize_arguments(const char *raw, size_t len, enum args_mode mode,
                           const struct sanitize_hooks *hooks);
/* The same from arguments already parsed, so a request the rules read is parsed once.
 * tree is borrowed and left as it was (the record shares its unchanged values by
 * reference); NULL: parse raw as above. */
json_t *sanitize_arguments_parsed(json_t *tree, const char *raw, size_t len, enum args_mode mode,
                                  const struct sanitize_hooks *hooks);
/* The same taking tree over (a reference the caller gives up): sanitised in place, no copy
 * of its containers. */
json_t *sanitize_arguments_taken(json_t *tree, enum args_mode mode, const struct sanitize_hooks *hooks);
