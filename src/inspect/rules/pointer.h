/* RFC 6901 JSON pointers into tools/call arguments, as the tool rules name them
 * ("/path", "/options/target", "/paths/0"), with one extension from policy.md: a final
 * token "*" stands for every element of the array it reaches. A "*" token anywhere else is
 * an ordinary key. */
#pragma once

#include <stddef.h>
#include <jansson.h>

/* What a pointer reaches: nothing, one value (one), or every element of an array (each,
 * for a final "*"). Borrowed references, valid while the root is: following a pointer
 * allocates nothing, since every tools/call runs it once per argument rule. */
struct pointer_hits {
        json_t *one;
        json_t *each;
};

static inline size_t pointer_hits_count(const struct pointer_hits *h)
{
        return h->each ? json_array_size(h->each) : h->one != NULL;
}

static inline json_t *pointer_hits_get(const struct pointer_hits *h, size_t i)
{
        return h->each ? json_array_get(h->each, i) : i == 0 ? h->one : NULL;
}

/* Follow pointer in root into *out. Returns 0 with nothing reached when the pointer
 * reaches nothing (a key or index is absent); -EINVAL with *why set when it cannot be
 * followed for a reason a caller must not take as "absent": a token applied to a scalar, a
 * non-numeric or leading-zero index into an array, a final "*" on a value that is not an
 * array, a malformed pointer (not starting with "/", a "~" not followed by 0 or 1);
 * -ENOMEM (a key longer than the decoder's stack buffer). */
int pointer_reach(json_t *root, const char *pointer, struct pointer_hits *out, const char **why);
