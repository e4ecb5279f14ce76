#include "sandbox/rlimits.h"

#include <errno.h>
#include <string.h>

int rlimits_from_policy(const struct policy *p, struct rlimits_plan *out, struct mc_error *err)
{
        json_t *limits = json_object_get(p->root, "limits");
        json_t *nofile = json_object_get(limits, "open_files");
        json_t *fsize = json_object_get(limits, "file_size");
        *out = (struct rlimits_plan){ 0 };
        if (json_is_integer(nofile)) {
                json_int_t n = json_integer_value(nofile);
                if (n <= 0)
                        return mc_error_set(err, EINVAL, "%s: /limits/open_files: must be positive", p->path);
                out->nofile_set = true;
                out->nofile = (rlim_t)n;
        }
        uint64_t bytes = 0;
        if (json_is_integer(fsize) && json_integer_value(fsize) >= 0)
                bytes = (uint64_t)json_integer_value(fsize);
        else if (json_is_string(fsize) && policy_parse_size(json_string_value(fsize), &bytes) < 0)
                return mc_error_set(err, EINVAL, "%s: /limits/file_size: not a size: %s", p->path,
                                    json_string_value(fsize));
        /* 0 is "no limit" as everywhere in limits: RLIMIT_FSIZE 0 would forbid every write. */
        if (bytes) {
                out->fsize_set = true;
                out->fsize = (rlim_t)bytes;
        }
        return 0;
}

static int lower(int resource, rlim_t want)
{
        struct rlimit cur;
        if (getrlimit(resource, &cur) < 0)
                return -errno;
        rlim_t v = cur.rlim_max != RLIM_INFINITY && cur.rlim_max < want ? cur.rlim_max : want;
        struct rlimit next = { .rlim_cur = v, .rlim_max = v };
        return setrlimit(resource, &next) < 0 ? -errno : 0;
}

int rlimits_apply(const struct rlimits_plan *r, const char **what)
{
        int e;
        if (r->nofile_set && (e = lower(RLIMIT_NOFILE, r->nofile)) < 0) {
                *what = "limits.open_files (RLIMIT_NOFILE)";
                return e;
        }
        if (r->fsize_set && (e = lower(RLIMIT_FSIZE, r->fsize)) < 0) {
                *what = "limits.file_size (RLIMIT_FSIZE)";
                return e;
        }
        if (r->data_set && (e = lower(RLIMIT_DATA, r->data)) < 0) {
                *what = "limits.memory (RLIMIT_DATA)";
                return e;
        }
        if (r->nproc_set && (e = lower(RLIMIT_NPROC, r->nproc)) < 0) {
                *what = "limits.pids (RLIMIT_NPROC)";
                return e;
        }
        if (r->cpu_set && (e = lower(RLIMIT_CPU, r->cpu)) < 0) {
                *what = "limits.cpu (RLIMIT_CPU)";
                return e;
        }
        return 0;
}
