/* JSON pointers into tool arguments (src/inspect/rules/pointer.c): RFC 6901 escapes, the
 * final "*" over an array, absent members as an empty result, and the refusals a caller
 * must not read as "absent". Keys short enough for the decoder's stack buffer and keys
 * longer than it take the same path to the same answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "inspect/rules/pointer.h"
#include "tap.h"
#include "util/cleanup.h"

/* The values pointer reaches, as compact JSON ("[...]"), or "error <why>". */
static void reaches(json_t *root, const char *pointer, const char *want, const char *name)
{
        _cleanup_json_ json_t *vals = json_array();
        struct pointer_hits hits;
        const char *why = NULL;
        char got[512];
        int r = pointer_reach(root, pointer, &hits, &why);
        if (r < 0) {
                snprintf(got, sizeof(got), "error %s", r == -EINVAL && why ? why : strerror(-r));
        } else {
                for (size_t i = 0; i < pointer_hits_count(&hits); i++)
                        json_array_append(vals, pointer_hits_get(&hits, i));
                char *d = json_dumps(vals, JSON_COMPACT | JSON_ENCODE_ANY);
                snprintf(got, sizeof(got), "%s", d ? d : "(null)");
                free(d);
        }
        tap_is_str(got, want, name);
}

int main(void)
{
        char long_key[301];
        memset(long_key, 'k', sizeof(long_key) - 1);
        long_key[sizeof(long_key) - 1] = '\0';
        _cleanup_json_ json_t *root = json_pack("{s:s, s:s, s:s, s:[s,s], s:{s:s}, s:i, s:s, s:[]}",
                                                "path", "/tmp/a", "a/b", "slash", "m~n", "tilde",
                                                "paths", "/x", "/y", "opts", "target", "/t",
                                                "n", 3, long_key, "long", "none");
        char long_ptr[310], long_bad[310];
        snprintf(long_ptr, sizeof(long_ptr), "/%s", long_key);
        snprintf(long_bad, sizeof(long_bad), "/%s~2", long_key);

        reaches(root, "/path", "[\"/tmp/a\"]", "a member");
        reaches(root, "/a~1b", "[\"slash\"]", "~1 is a slash in the key");
        reaches(root, "/m~0n", "[\"tilde\"]", "~0 is a tilde in the key");
        reaches(root, "/paths/*", "[\"/x\",\"/y\"]", "a final * is every element");
        reaches(root, "/paths/1", "[\"/y\"]", "an index");
        reaches(root, "/opts/target", "[\"/t\"]", "a nested member");
        reaches(root, "/absent", "[]", "an absent member reaches nothing");
        reaches(root, "/none/*", "[]", "a final * over an empty array reaches nothing");
        reaches(root, long_ptr, "[\"long\"]", "a key longer than the decoder's stack buffer");
        reaches(root, "/m~2n", "error bad \"~\" escape in pointer", "~2 is refused");
        reaches(root, long_bad, "error bad \"~\" escape in pointer", "~2 in a long key is refused");
        reaches(root, "/n/x", "error a member is looked up in a value that is not an object or array",
                "a member of a number is refused");
        reaches(root, "/paths/01", "error array index is not a number", "a leading-zero index is refused");
        reaches(root, "/opts/*", "error \"*\" applied to a value that is not an array",
                "* on an object is refused");
        reaches(root, "path", "error pointer does not start with \"/\"", "a pointer without / is refused");
        return tap_done();
}
