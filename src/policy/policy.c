/* policy_load: the whole pipeline in order. Resolve the reference, load the file and its
 * ancestors (expanded and validated per file), fill every default, intersect with the
 * system ceiling, validate the result once more with every key required, and fingerprint
 * it. Nothing is started on any error: the caller gets one message naming file, pointer
 * and reason. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy-internal.h"
#include "util/cleanup.h"
#include "util/hex.h"
#include "util/sha256.h"

static int fingerprint(json_t *root, char hex[65], struct mc_error *err)
{
        _cleanup_free_ char *canon = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
        if (!canon)
                return mc_error_set(err, ENOMEM, "out of memory");
        unsigned char md[SHA256_LEN];
        sha256(canon, strlen(canon), md);
        hex_encode(hex, md, SHA256_LEN);
        return 0;
}

int policy_finish(struct policy *p, const struct policy_env *env, struct mc_error *err)
{
        _cleanup_json_ json_t *eff = NULL, *ceiling = NULL;
        int r = policy_fill_defaults(p->merged, env, &eff, err);
        if (r < 0)
                return r;
        r = policy_validate(eff, p->path, true, err);
        if (r < 0)
                return r;
        r = policy_ceiling_load(env, &ceiling, err);
        if (r < 0)
                return r;
        r = policy_ceiling_apply(eff, p->written, ceiling, env->ceiling, env, err);
        if (r < 0)
                return r;
        /* the ceiling only narrows, but a tree that leaves here is trusted as is */
        r = policy_validate(eff, p->path, true, err);
        if (r < 0)
                return r;
        r = policy_validate_cross(eff, p->path, err);
        if (r < 0)
                return r;
        char hex[65];
        r = fingerprint(eff, hex, err);
        if (r < 0)
                return r;
        json_decref(p->root);
        p->root = TAKE_PTR(eff);
        memcpy(p->sha256, hex, sizeof(hex));
        return 0;
}

int policy_load(const char *name_or_path, const struct policy_env *env, struct policy **out,
                struct mc_error *err)
{
        *out = NULL;
        struct policy *p = calloc(1, sizeof(*p));
        if (!p)
                return mc_error_set(err, ENOMEM, "out of memory");
        int r = policy_resolve(name_or_path, NULL, env, &p->path, &p->name, err);
        if (r >= 0)
                r = policy_load_layers(p->path, env, &p->merged, &p->written, err);
        if (r >= 0)
                r = policy_finish(p, env, err);
        if (r < 0) {
                policy_free(p);
                return r;
        }
        *out = p;
        return 0;
}

void policy_free(struct policy *p)
{
        if (!p)
                return;
        json_decref(p->root);
        json_decref(p->merged);
        json_decref(p->written);
        free(p->name);
        free(p->path);
        free(p);
}
