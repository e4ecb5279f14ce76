#include "sandbox/mountplan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/resolve.h"
#include "util/cleanup.h"

/* Threat answered by each implicit entry of root "host": the user's files ($HOME) and the
 * host's sockets (/run: D-Bus, docker.sock, ssh-agent under /run/user) must not be in a
 * view that is otherwise the whole host. A Unix socket on a read-only mount still accepts
 * connections, so "read-only" is not enough for /run. */
static const char *const HOST_ROOT_HIDDEN[] = { "/run", NULL };

const char *mount_kind_name(enum mount_kind k)
{
        switch (k) {
        case MOUNT_HOST_ROOT: return "host root, read-only";
        case MOUNT_EMPTY_ROOT: return "empty root (tmpfs, read-only once built)";
        case MOUNT_PROC: return "proc (this pid namespace only)";
        case MOUNT_DEV: return "minimal dev: null zero full random urandom tty pts ptmx shm";
        case MOUNT_BIND_RO: return "bind, read-only";
        case MOUNT_BIND_RW: return "bind, read-write";
        case MOUNT_TMPFS: return "tmpfs";
        case MOUNT_MASK_DIR: return "masked (empty, no access)";
        case MOUNT_MASK_FILE: return "masked (no access)";
        case MOUNT_SYMLINK: return "symlink";
        default: return "?";
        }
}

static int rank(enum mount_kind k)
{
        switch (k) {
        case MOUNT_HOST_ROOT: case MOUNT_EMPTY_ROOT: return -1;
        case MOUNT_PROC: case MOUNT_DEV: return 0;
        case MOUNT_BIND_RO: return 1;
        case MOUNT_BIND_RW: return 2;
        case MOUNT_TMPFS: return 3;
        case MOUNT_MASK_DIR: case MOUNT_MASK_FILE: return 4;
        case MOUNT_SYMLINK: return 5;
        default: return 6;
        }
}

static void op_clear(struct mount_op *op)
{
        free(op->target);
        free(op->source);
        free(op->origin);
}

void mount_plan_clear(struct mount_plan *plan)
{
        for (size_t i = 0; i < plan->n; i++)
                op_clear(&plan->ops[i]);
        free(plan->ops);
        free(plan->workdir);
        strlist_free(&plan->notes);
        *plan = (struct mount_plan){ 0 };
}

static int add_op(struct mount_plan *plan, enum mount_kind kind, const char *target,
                  const char *source, bool is_dir, const char *origin, const char *data)
{
        struct mount_op *ops = realloc(plan->ops, (plan->n + 1) * sizeof(*ops));
        if (!ops)
                return -ENOMEM;
        plan->ops = ops;
        struct mount_op *op = &ops[plan->n];
        *op = (struct mount_op){
                .kind = kind, .target = strdup(target), .source = source ? strdup(source) : NULL,
                .source_is_dir = is_dir, .origin = strdup(origin ? origin : ""),
        };
        snprintf(op->data, sizeof(op->data), "%s", data ? data : "");
        if (!op->target || (source && !op->source) || !op->origin) {
                op_clear(op);
                return -ENOMEM;
        }
        plan->n++;
        return 0;
}

static int add_links(struct mount_plan *plan, const struct resolved *r, const char *origin)
{
        for (size_t i = 0; i < r->n_links; i++)
                if (add_op(plan, MOUNT_SYMLINK, r->links[i].at, r->links[i].text, false, origin, NULL) < 0)
                        return -ENOMEM;
        return 0;
}

/* /proc and /dev are always built by mcpcage: a bind of the host's would show its
 * processes and devices (threats.md §1 "see host processes in /proc"). */
static const char *reserved(const char *path)
{
        if (!strcmp(path, "/proc") || !strcmp(path, "/dev"))
                return "is always mcpcage's own (a fresh proc, a minimal dev); list paths below it instead";
        if (!strcmp(path, "/"))
                return "cannot be a read-write bind, a tmpfs or a mask; use filesystem.root";
        return NULL;
}

static int plan_bind(struct mount_plan *plan, enum mount_kind kind, const char *text,
                     const char *origin, struct mc_error *err)
{
        bool optional = text[0] == '?';
        const char *path = optional ? text + 1 : text;
        if (kind == MOUNT_BIND_RO && !strcmp(path, "/")) {
                plan->ops[0].kind = MOUNT_HOST_ROOT;    /* the whole host, nothing hidden */
                return 0;
        }
        const char *why = reserved(path);
        if (why)
                return mc_error_set(err, EINVAL, "%s: %s %s", origin, path, why);
        struct resolved r;
        int rc = resolve_path(path, &r, err);
        if (rc < 0)
                return mc_error_prefix(err, "%s", origin);
        if (!r.exists) {
                if (optional)
                        rc = strlist_addf(&plan->notes, "skipped %s (%s): not on this host", text, origin);
                else
                        rc = mc_error_set(err, ENOENT, "%s: %s: No such file or directory (write \"?%s\" "
                                          "to make it optional)", origin, path, path);
        } else if (add_links(plan, &r, origin) < 0 ||
                   add_op(plan, kind, r.real, r.real, S_ISDIR(r.st.st_mode), origin, NULL) < 0) {
                rc = mc_error_set(err, ENOMEM, "out of memory");
        }
        resolved_clear(&r);
        return rc < 0 ? rc : 0;
}

static int plan_tmpfs(struct mount_plan *plan, const char *path, const char *origin,
                      const char *data, bool must_exist, struct mc_error *err)
{
        const char *why = reserved(path);
        if (why)
                return mc_error_set(err, EINVAL, "%s: %s %s", origin, path, why);
        struct resolved r;
        int rc = resolve_path(path, &r, err);
        if (rc < 0)
                return mc_error_prefix(err, "%s", origin);
        if (r.exists && !S_ISDIR(r.st.st_mode))
                rc = mc_error_set(err, ENOTDIR, "%s: %s: Not a directory (a tmpfs needs one)", origin, path);
        else if ((r.exists || !must_exist) &&
                 (add_links(plan, &r, origin) < 0 || add_op(plan, MOUNT_TMPFS, r.real, NULL, true, origin, data) < 0))
                rc = mc_error_set(err, ENOMEM, "out of memory");
        resolved_clear(&r);
        return rc;
}

static int plan_mask(struct mount_plan *plan, const char *path, const char *origin,
                     struct mc_error *err)
{
        const char *why = reserved(path);
        if (why)
                return mc_error_set(err, EINVAL, "%s: %s %s", origin, path, why);
        struct resolved r;
        int rc = resolve_path(path, &r, err);
        if (rc < 0)
                return mc_error_prefix(err, "%s", origin);
        if (r.exists) {
                enum mount_kind k = S_ISDIR(r.st.st_mode) ? MOUNT_MASK_DIR : MOUNT_MASK_FILE;
                if (add_op(plan, k, r.real, NULL, k == MOUNT_MASK_DIR, origin, NULL) < 0)
                        rc = mc_error_set(err, ENOMEM, "out of memory");
        }
        resolved_clear(&r);
        return rc;
}

static void tmpfs_data(char *buf, size_t n, const char *mode, uint64_t size, const struct identity *id,
                       bool owned)
{
        int len = snprintf(buf, n, "mode=%s", mode);
        if (size && len > 0 && (size_t)len < n)
                len += snprintf(buf + len, n - (size_t)len, ",size=%" PRIu64, size);
        if (owned && len > 0 && (size_t)len < n)
                snprintf(buf + len, n - (size_t)len, ",uid=%u,gid=%u", (unsigned)id->run_uid,
                         (unsigned)id->run_gid);
}

static int plan_host_hidden(struct mount_plan *plan, char *const *home, uint64_t size,
                            const struct identity *id, struct mc_error *err)
{
        char data[128];
        tmpfs_data(data, sizeof(data), "0700", size, id, true);
        for (char *const *h = home; h && *h; h++) {
                if (**h != '/' || !strcmp(*h, "/"))
                        continue;
                int r = plan_tmpfs(plan, *h, "root host: $HOME hidden", data, true, err);
                if (r < 0)
                        return r;
        }
        tmpfs_data(data, sizeof(data), "0755", size, id, false);
        for (const char *const *p = HOST_ROOT_HIDDEN; *p; p++) {
                int r = plan_tmpfs(plan, *p, "root host: host sockets hidden", data, true, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan_lists(struct mount_plan *plan, json_t *fs, uint64_t size, const char *file,
                      struct mc_error *err)
{
        static const struct { const char *key; enum mount_kind kind; } lists[] = {
                { "read_only", MOUNT_BIND_RO }, { "read_write", MOUNT_BIND_RW },
                { "tmpfs", MOUNT_TMPFS }, { "mask", MOUNT_MASK_DIR },
        };
        char data[128];
        tmpfs_data(data, sizeof(data), "1777", size, NULL, false);
        for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
                size_t i;
                json_t *e;
                json_array_foreach(json_object_get(fs, lists[l].key), i, e) {
                        char origin[256];
                        snprintf(origin, sizeof(origin), "%s: /filesystem/%s/%zu", file, lists[l].key, i);
                        const char *path = json_string_value(e);
                        int r;
                        if (!path)
                                return mc_error_set(err, EINVAL, "%s: not a string", origin);
                        switch (lists[l].kind) {
                        case MOUNT_TMPFS: r = plan_tmpfs(plan, path, origin, data, false, err); break;
                        case MOUNT_MASK_DIR: r = plan_mask(plan, path, origin, err); break;
                        default: r = plan_bind(plan, lists[l].kind, path, origin, err); break;
                        }
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* policy.md: "applied sorted by path depth, parents first, so a bind inside a tmpfs works;
 * at equal depth read_only, then read_write, then tmpfs, then mask". The root stays first. */
static int op_order(const void *a, const void *b)
{
        const struct mount_op *x = a, *y = b;
        int rx = rank(x->kind), ry = rank(y->kind);
        if (rx < 0 || ry < 0)
                return rx - ry;
        unsigned dx = path_depth(x->target), dy = path_depth(y->target);
        if (dx != dy)
                return dx < dy ? -1 : 1;
        if (rx != ry)
                return rx - ry;
        return strcmp(x->target, y->target);
}

/* The operation that shows at path once ops[0..end) are applied (the last one covering it),
 * or NULL when nothing does. Symlinks cover nothing. */
static const struct mount_op *cover(const struct mount_plan *plan, size_t end, const char *path)
{
        const struct mount_op *found = NULL;
        for (size_t i = 0; i < end; i++)
                if (plan->ops[i].kind != MOUNT_SYMLINK && path_under(path, plan->ops[i].target))
                        found = &plan->ops[i];
        return found;
}

static bool is_bind(const struct mount_op *op)
{
        return op && (op->kind == MOUNT_HOST_ROOT || op->kind == MOUNT_BIND_RO || op->kind == MOUNT_BIND_RW);
}

/* ops[0..kept) are the operations kept so far, in order. Drops what would change nothing: a bind already shown the same way by its parent (every
 * extra mount costs start time), a mask on something the view does not hold (policy.md: a
 * no-op), and the second of two identical links. */
static bool redundant(struct mount_plan *plan, size_t kept, size_t i)
{
        const struct mount_op *op = &plan->ops[i];
        const struct mount_op *c = cover(plan, kept, op->target);
        switch (op->kind) {
        case MOUNT_BIND_RO:
                return c && (c->kind == MOUNT_HOST_ROOT || c->kind == MOUNT_BIND_RO);
        case MOUNT_BIND_RW:
                return c && c->kind == MOUNT_BIND_RW;
        case MOUNT_MASK_DIR: case MOUNT_MASK_FILE:
                if (!is_bind(c) && !(c && c->kind == MOUNT_PROC)) {
                        (void)strlist_addf(&plan->notes, "mask %s (%s): not in the view, nothing to hide",
                                           op->target, op->origin);
                        return true;
                }
                return false;
        case MOUNT_SYMLINK:
                for (size_t j = 0; j < kept; j++)
                        if (plan->ops[j].kind == MOUNT_SYMLINK && !strcmp(plan->ops[j].target, op->target))
                                return true;
                return false;
        default:
                return false;
        }
}

static void prune(struct mount_plan *plan)
{
        size_t out = 0;
        for (size_t i = 0; i < plan->n; i++) {
                if (redundant(plan, out, i)) {
                        op_clear(&plan->ops[i]);
                        continue;
                }
                plan->ops[out++] = plan->ops[i];
        }
        plan->n = out;
}

bool mount_plan_visible(const struct mount_plan *plan, const char *path)
{
        const struct mount_op *c = cover(plan, plan->n, path);
        if (is_bind(c))
                return true;
        /* The root of a tmpfs exists; anything below it starts empty. */
        return c && !strcmp(c->target, path) &&
               (c->kind == MOUNT_TMPFS || c->kind == MOUNT_EMPTY_ROOT || c->kind == MOUNT_PROC ||
                c->kind == MOUNT_DEV);
}

static int plan_workdir(struct mount_plan *plan, const char *want, struct mc_error *err)
{
        struct resolved r;
        int rc = resolve_path(want ? want : "/", &r, err);
        if (rc < 0)
                return mc_error_prefix(err, "/filesystem/workdir");
        bool ok = r.exists && S_ISDIR(r.st.st_mode) && mount_plan_visible(plan, r.real);
        if (!ok && want && strcmp(want, "/"))
                (void)strlist_addf(&plan->notes, "workdir %s is not in the view; the server starts in /", want);
        plan->workdir = strdup(ok ? r.real : "/");
        resolved_clear(&r);
        return plan->workdir ? 0 : mc_error_set(err, ENOMEM, "out of memory");
}

/* Half of limits.memory: tmpfs pages are charged to the server's memory cgroup, so a tmpfs
 * as large as the limit would end in an OOM kill before ENOSPC; with half, filling /tmp
 * stops with ENOSPC and the server lives (threats.md §1 "fill /tmp"). */
static uint64_t tmpfs_size(const struct policy *p)
{
        json_t *mem = json_object_get(json_object_get(p->root, "limits"), "memory");
        uint64_t bytes = 0;
        if (json_is_string(mem) && policy_parse_size(json_string_value(mem), &bytes) < 0)
                bytes = 0;
        else if (json_is_integer(mem) && json_integer_value(mem) > 0)
                bytes = (uint64_t)json_integer_value(mem);
        return bytes / 2;
}

int mount_plan_build(const struct policy *p, const struct identity *id, char *const *home,
                     struct mount_plan *out, struct mc_error *err)
{
        *out = (struct mount_plan){ 0 };
        json_t *fs = json_object_get(p->root, "filesystem");
        const char *root = json_string_value(json_object_get(fs, "root"));
        uint64_t size = tmpfs_size(p);
        out->host_root = root && !strcmp(root, "host");
        int r = 0;
        if (add_op(out, out->host_root ? MOUNT_HOST_ROOT : MOUNT_EMPTY_ROOT, "/", "/", true,
                   "/filesystem/root", out->host_root ? NULL : "mode=0755,size=1m") < 0 ||
            add_op(out, MOUNT_PROC, "/proc", NULL, true, "always", NULL) < 0 ||
            add_op(out, MOUNT_DEV, "/dev", NULL, true, "always", NULL) < 0)
                r = mc_error_set(err, ENOMEM, "out of memory");
        if (r == 0 && out->host_root)
                r = plan_host_hidden(out, home, size, id, err);
        if (r == 0)
                r = plan_lists(out, fs, size, p->path ? p->path : "policy", err);
        if (r == 0) {
                qsort(out->ops, out->n, sizeof(*out->ops), op_order);
                prune(out);
                r = plan_workdir(out, json_string_value(json_object_get(fs, "workdir")), err);
        }
        if (r < 0)
                mount_plan_clear(out);
        return r;
}

void mount_plan_print(const struct mount_plan *plan, FILE *out)
{
        fputs("mount plan:     (applied in this order)\n", out);
        for (size_t i = 0; i < plan->n; i++) {
                const struct mount_op *op = &plan->ops[i];
                fprintf(out, "  %-30s %s", op->target, mount_kind_name(op->kind));
                if (op->kind == MOUNT_SYMLINK)
                        fprintf(out, " -> %s", op->source);
                else if (op->kind == MOUNT_TMPFS && op->data[0])
                        fprintf(out, " (%s)", op->data);
                if (op->origin[0] && strcmp(op->origin, "always"))
                        fprintf(out, "  [%s]", op->origin);
                fputc('\n', out);
        }
        for (size_t i = 0; i < plan->notes.n; i++)
                fprintf(out, "  note: %s\n", plan->notes.v[i]);
        fprintf(out, "workdir:        %s\n", plan->workdir ? plan->workdir : "/");
}
