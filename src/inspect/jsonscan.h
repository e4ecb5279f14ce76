/* The validating JSON scanner under jsonrpc.c: one strict pass over a buffer (RFC 8259
 * grammar, UTF-8, no raw control characters, nesting <= JSONRPC_MAX_DEPTH, no duplicate
 * key in any object) that builds no tree. While it validates it records where the members
 * named by a `struct jwatch` are, so the JSON-RPC classifier never needs a second pass. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Numbers longer than this are refused (threats.md §4 "huge numbers"): readers disagree on
 * them (a double, a bignum, an error), and a value two parsers read differently is a
 * parser differential. 100 characters keep every big-integer id that occurs in practice
 * exact and passing. */
#define JSON_MAX_NUMBER_CHARS 100

enum jv_type { JV_NONE, JV_OBJECT, JV_ARRAY, JV_STRING, JV_INT, JV_NUMBER, JV_TRUE, JV_FALSE,
               JV_NULL };

/* One scanned value. For strings, off/len cover the token including its quotes; declen is
 * the length of the decoded text, esc says whether it has escapes, nul whether the
 * decoded text contains U+0000. */
struct jv {
        size_t off, len;
        size_t declen;
        uint8_t type;
        bool esc, nul;
};

/* Members to record in one object: names[i] (plain ASCII, compared with the decoded key)
 * lands in out[i] (type JV_NONE when absent); child[i], when not NULL, is applied to that
 * member's value if it is an object. */
struct jwatch {
        size_t n;
        const char *const *names;
        struct jv *out;
        struct jwatch *const *child;
};

struct jscan_fault {
        int code;               /* -32700 syntax/encoding/depth, -32600 duplicate key */
        size_t pos;             /* byte offset where the problem was seen */
        bool dup_top_id;        /* the duplicate key is the top-level "id" */
        char reason[160];
};

/* 0 with *root describing the top-level value, -EBADMSG with f filled, -ENOMEM. */
int json_scan(const char *buf, size_t len, struct jwatch *top, struct jv *root,
              struct jscan_fault *f);

/* String helpers on a validated token's contents (raw: between the quotes). */
size_t json_str_decode(const char *raw, size_t rawlen, char *out);   /* out >= rawlen bytes */
bool json_str_is(const char *buf, const struct jv *v, const char *lit);

/* Validate one string token starting at buf[pos] == '"' strictly; on success return true
 * with *v filled and *end just past the closing quote. Used by the lenient id recovery. */
bool json_scan_string_at(const char *buf, size_t len, size_t pos, struct jv *v, size_t *end);
