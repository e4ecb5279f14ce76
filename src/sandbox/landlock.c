#include "sandbox/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The installed UAPI header may predate the kernel: the newer rights are defined here from
 * the kernel's ABI (they are fixed numbers), and the ruleset attribute is passed with the
 * size the running ABI knows. */
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_ABI1 ((1ULL << 13) - 1)
#define LL_FS_REFER (1ULL << 13)        /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14)     /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15)    /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)     /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define LL_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

struct ll_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net;
        uint64_t scoped;
};

struct ll_net_port {
        uint64_t allowed_access;
        uint64_t port;
};

struct ll_path_beneath {
        uint64_t allowed_access;
        int32_t parent_fd;
} __attribute__((packed));

int landlock_abi(void)
{
        long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        return v < 0 ? 0 : (int)v;
}

static uint64_t fs_handled(int abi)
{
        uint64_t h = LL_FS_ABI1;
        if (abi >= 2)
                h |= LL_FS_REFER;
        if (abi >= 3)
                h |= LL_FS_TRUNCATE;
        if (abi >= 5)
                h |= LL_FS_IOCTL_DEV;
        return h;
}

static uint64_t grant_rights(enum landlock_grant g, uint64_t rights, uint64_t handled, bool is_dir)
{
        uint64_t r;
        switch (g) {
        case LANDLOCK_READ: r = LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR; break;
        case LANDLOCK_DEVICE_RW: r = LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_READ_DIR |
                                     LL_FS_TRUNCATE | LL_FS_IOCTL_DEV; break;
        case LANDLOCK_RIGHTS: r = rights; break;
        default: r = handled; break;
        }
        r &= handled;
        return is_dir ? r : r & LL_FILE_RIGHTS;
}

int landlock_plan_add(struct landlock_plan *plan, const char *path, enum landlock_grant grant)
{
        struct landlock_rule *r = realloc(plan->rules, (plan->n + 1) * sizeof(*r));
        if (!r)
                return -ENOMEM;
        plan->rules = r;
        r[plan->n].path = strdup(path);
        if (!r[plan->n].path)
                return -ENOMEM;
        r[plan->n].rights = 0;
        r[plan->n++].grant = grant;
        return 0;
}

int landlock_plan_add_rights(struct landlock_plan *plan, const char *path, uint64_t rights)
{
        int r = landlock_plan_add(plan, path, LANDLOCK_RIGHTS);
        if (r < 0)
                return r;
        plan->rules[plan->n - 1].rights = rights;
        return 0;
}

void landlock_plan_clear(struct landlock_plan *plan)
{
        for (size_t i = 0; i < plan->n; i++)
                free(plan->rules[i].path);
        free(plan->rules);
        plan->rules = NULL;
        plan->n = 0;
}

void landlock_plan_print(const struct landlock_plan *plan, FILE *out)
{
        fprintf(out, "landlock:       ABI %d%s%s\n", plan->abi,
                plan->deny_tcp ? ", TCP bind/connect refused" : plan->deny_bind ? ", TCP bind refused" : "",
                plan->scope ? ", signals and abstract sockets scoped"
                            : plan->scope_unix ? ", abstract sockets scoped" : "");
        if (plan->filter_connect) {
                fputs("  TCP connect only to ports", out);
                for (size_t i = 0; i < plan->n_ports; i++)
                        fprintf(out, " %u", (unsigned)plan->connect_ports[i]);
                fputs(plan->n_ports ? "\n" : " (none)\n", out);
        }
        static const char *const names[] = { "read", "read-write", "device read-write", "rights" };
        for (size_t i = 0; i < plan->n; i++) {
                fprintf(out, "  %-30s %s", plan->rules[i].path, names[plan->rules[i].grant]);
                if (plan->rules[i].grant == LANDLOCK_RIGHTS)
                        fprintf(out, " 0x%llx", (unsigned long long)plan->rules[i].rights);
                fputc('\n', out);
        }
}

static int add_rule(int ruleset, const struct landlock_rule *rule, uint64_t handled,
                    struct mc_error *err)
{
        int fd = open(rule->path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return mc_error_errno(err, errno, "landlock: %s", rule->path);
        struct stat st;
        if (fstat(fd, &st) < 0) {
                int e = errno;
                close(fd);
                return mc_error_errno(err, e, "landlock: %s", rule->path);
        }
        struct ll_path_beneath pb = {
                .allowed_access = grant_rights(rule->grant, rule->rights, handled, S_ISDIR(st.st_mode)),
                .parent_fd = fd,
        };
        long r = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0);
        int e = errno;
        close(fd);
        if (r < 0)
                return mc_error_errno(err, e, "landlock: adding a rule for %s", rule->path);
        return 0;
}

int landlock_ruleset_build(const struct landlock_plan *plan, int *out, struct mc_error *err)
{
        if (plan->abi < 1)
                return mc_error_set(err, EOPNOTSUPP, "Landlock is not available on this kernel");
        struct ll_ruleset_attr attr = { .handled_access_fs = fs_handled(plan->abi) };
        size_t size = sizeof(attr.handled_access_fs);
        if (plan->abi >= 4) {
                attr.handled_access_net = plan->deny_tcp ? LL_NET_BIND_TCP | LL_NET_CONNECT_TCP : 0;
                attr.handled_access_net |= (plan->filter_connect ? LL_NET_CONNECT_TCP : 0) |
                                           (plan->deny_bind ? LL_NET_BIND_TCP : 0);
                size += sizeof(attr.handled_access_net);
        }
        if (plan->abi >= 6) {
                attr.scoped = plan->scope ? LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL : 0;
                attr.scoped |= plan->scope_unix ? LL_SCOPE_ABSTRACT_UNIX : 0;
                size += sizeof(attr.scoped);
        }
        int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
        if (fd < 0)
                return mc_error_errno(err, errno, "landlock: creating the ruleset");
        for (size_t i = 0; i < plan->n; i++) {
                int r = add_rule(fd, &plan->rules[i], attr.handled_access_fs, err);
                if (r < 0) {
                        close(fd);
                        return r;
                }
        }
        for (size_t i = 0; plan->abi >= 4 && plan->filter_connect && i < plan->n_ports; i++) {
                struct ll_net_port np = { .allowed_access = LL_NET_CONNECT_TCP, .port = plan->connect_ports[i] };
                if (syscall(SYS_landlock_add_rule, fd, LL_RULE_NET_PORT, &np, 0) < 0) {
                        int e = errno;
                        close(fd);
                        return mc_error_errno(err, e, "landlock: allowing TCP connect to port %u",
                                              (unsigned)plan->connect_ports[i]);
                }
        }
        *out = fd;
        return 0;
}

int landlock_restrict(int ruleset_fd)
{
        return syscall(SYS_landlock_restrict_self, ruleset_fd, 0) < 0 ? -errno : 0;
}
