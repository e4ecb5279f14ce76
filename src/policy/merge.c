/* How an extending policy combines with its parents (policy.md "extends"): lists are
 * concatenated and de-duplicated, objects merge key by key, scalars are replaced. A tool
 * rule under /mcp/tools is replaced as a whole: merging a child's {"paths": ...} into a
 * parent's {"scopes": ...} would build a rule neither author wrote. */
#include <string.h>

#include "policy/policy-internal.h"

void policy_json_array_append_unique(json_t *arr, json_t *item)
{
        size_t i;
        json_t *have;
        json_array_foreach(arr, i, have)
                if (json_equal(have, item))
                        return;
        json_array_append(arr, item);
}

static bool replaced_whole(const struct ptr *at)
{
        /* at is the pointer of the value being merged: /mcp/tools/NAME */
        static const char tools[] = "/mcp/tools/";
        return !strncmp(at->s, tools, sizeof(tools) - 1) &&
               !strchr(at->s + sizeof(tools) - 1, '/');
}

void policy_merge(json_t *dst, json_t *src, struct ptr *at)
{
        const char *key;
        json_t *value;
        json_object_foreach(src, key, value) {
                size_t old = policy_ptr_push(at, key);
                json_t *have = json_object_get(dst, key);
                if (have && json_is_object(have) && json_is_object(value) && !replaced_whole(at)) {
                        policy_merge(have, value, at);
                } else if (have && json_is_array(have) && json_is_array(value)) {
                        size_t i;
                        json_t *item;
                        json_array_foreach(value, i, item)
                                policy_json_array_append_unique(have, item);
                } else {
                        json_object_set_new(dst, key, json_deep_copy(value));
                }
                ptr_pop(at, old);
        }
}
