/* The JSON-RPC 2.0 reader: one strict, single-pass validating scan of a line (RFC 8259,
 * UTF-8, no NUL, nesting <= JSONRPC_MAX_DEPTH, no duplicate key at any level) that also
 * classifies the message and records where its top-level members are, without building a
 * tree. Messages no rule touches are then forwarded as their original bytes; a rule that
 * needs the tree parses only the span it needs with jansson. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define JSONRPC_MAX_DEPTH 64
#define JSONRPC_PARSE_ERROR (-32700)
#define JSONRPC_INVALID_REQUEST (-32600)
#define JSONRPC_METHOD_NOT_FOUND (-32601)
#define JSONRPC_INVALID_PARAMS (-32602)
#define JSONRPC_INTERNAL_ERROR (-32603)

enum msg_kind { MSG_REQUEST, MSG_NOTIFICATION, MSG_RESULT, MSG_ERROR };
enum id_type { ID_NONE, ID_NULL, ID_INT, ID_STRING };

struct span {
        size_t off, len; /* into the line; len 0 = absent */
};

struct jsonrpc_msg {
        const char *buf;        /* the line, borrowed; without the trailing "\n" / "\r\n" */
        size_t len;
        enum msg_kind kind;
        enum id_type id_type;
        struct span id;         /* the raw id token, byte-exact (`42`, `"a\u0031"`) */
        char *id_key;           /* owned: "i:<digits>" or "s:<decoded text>"; NULL without id */
        size_t id_key_len;      /* decoded strings may contain NUL; compare by length */
        char *method;           /* owned, decoded; NULL for responses */
        struct span params, result, error; /* raw value spans of the top-level members */
        struct span meta;       /* params._meta when params is an object (2026-07-28 era) */
        /* Members one level down, recorded in the same pass (spans of raw values; a
         * string's span includes its quotes): params.name / .arguments / .uri /
         * .requestId / .inputResponses (2026-07-28 retries) when params is an object,
         * result.resultType when result is one. */
        struct span p_name, p_arguments, p_uri, p_request_id, p_input_responses, result_type;
        bool result_is_error;   /* result.isError is `true` (a tool_error) */
};

/* Why a line was refused, with the id recovered when it could be. */
struct jsonrpc_fault {
        int code;               /* JSONRPC_PARSE_ERROR or JSONRPC_INVALID_REQUEST */
        char reason[160];       /* "invalid UTF-8 at byte 17", "duplicate key \"id\" at /params" */
        enum id_type id_type;   /* ID_NONE when no id could be recovered */
        struct span id;
};

/* 0 on success (m filled, free with jsonrpc_msg_clear), -EBADMSG with f filled, -ENOMEM. */
int jsonrpc_parse(const char *buf, size_t len, struct jsonrpc_msg *m, struct jsonrpc_fault *f);
void jsonrpc_msg_clear(struct jsonrpc_msg *m);

/* Best effort on a line that failed (or on the first bytes of an oversize one): a lenient
 * walk of the top-level object for its "id" member. True with *type and *id set when exactly
 * one "id" member was seen and its value is a strictly valid string, integer or null
 * token followed by a delimiter; a second "id" member makes the id ambiguous (false). */
bool jsonrpc_recover_id(const char *buf, size_t len, enum id_type *type, struct span *id);

/* The in-flight key of a raw, valid id token (a string or an integer): "s:<decoded>" or
 * "i:<digits>". 0, -EINVAL for any other token, -ENOMEM. */
int jsonrpc_id_key(const char *tok, size_t len, char **key, size_t *key_len);

/* Append one error response line ending in "\n" to out. id_raw is the raw id token or NULL
 * for `null`; data (borrowed) may be NULL. Returns 0 or -ENOMEM. */
struct buf;
int jsonrpc_append_error(struct buf *out, const char *id_raw, size_t id_len, int code,
                         const char *message, json_t *data);
/* Append one result response line: {"jsonrpc":"2.0","id":<id_raw>,"result":<result>}\n. */
int jsonrpc_append_result(struct buf *out, const char *id_raw, size_t id_len, json_t *result);
/* Append one request line {"jsonrpc":"2.0","id":<id_raw>,"method":..,"params":..}\n (a
 * request mcpcage had to rewrite: the id stays the sender's raw token). */
int jsonrpc_append_request(struct buf *out, const char *id_raw, size_t id_len, const char *method,
                           json_t *params);
