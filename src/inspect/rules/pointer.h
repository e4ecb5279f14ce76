/* RFC 6901 JSON pointers into tools/call arguments, as the tool rules name them
 * ("/path", "/options/target", "/paths/0"), with one extension from policy.md: a final
 * token "*" stands for every element of the array it reaches. A "*" token anywhere else is
 * an ordinary key. */
#pragma once

#include <stddef.h>
#include <jansson.h>

/* Collect the values pointer reaches in root into *out (a new array holding references).
 * Returns 0 with an empty array when the pointer reaches nothing (a key or index is
 * absent); -EINVAL with *why set when it cannot be followed for a reason a caller must not
 * take as "absent": a token applied to a scalar, a non-numeric or leading-zero index into
 * an array, a final "*" on a value that is not an array, a malformed pointer (not starting
 * with "/", a "~" not followed by 0 or 1); -ENOMEM. */
int pointer_collect(json_t *root, const char *pointer, json_t **out, const char **why);
