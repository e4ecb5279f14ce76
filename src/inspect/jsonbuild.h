/* A jansson value built from JSON the scanner (jsonscan.h) has already validated: what
 * json_loadb(..., JSON_DECODE_ANY | JSON_ALLOW_NUL) returns for the same bytes, without
 * jansson's lexer, which reads its input a byte at a time through a stream callback (20k
 * instructions for the ~120-byte arguments of a typical tools/call, a quarter of a small
 * round trip's user time with argument rules on). One walk, no checks the scanner made
 * already; fuzz-jsonrpc and test-jsonbuild hold it to json_loadb on every value. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* buf[0..len) is one value json_scan() accepted (possibly with surrounding whitespace):
 * strings are decoded trusting the scanner's checks, so nothing else may be passed.
 * NULL where json_loadb would refuse it: an integer beyond json_int_t unless int_as_real
 * (then every integer is a real, as JSON_DECODE_INT_AS_REAL), a real beyond a double, a
 * key holding U+0000; also out of memory. */
json_t *json_build_validated(const char *buf, size_t len, bool int_as_real);
