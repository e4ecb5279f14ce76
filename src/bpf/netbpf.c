#include "bpf/netbpf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "util/dlib.h"
#include "util/log.h"

/* libbpf (with libelf and zlib) is opened by the one session that attaches the programs
 * (network "host" with addresses, as root) instead of at every start (util/dlib.h). The
 * generated skeleton calls it by name; those names become the table's pointers. */
struct bpf_lib {
        __typeof__(bpf_object__open_skeleton) *open_skeleton;
        __typeof__(bpf_object__load_skeleton) *load_skeleton;
        __typeof__(bpf_object__attach_skeleton) *attach_skeleton;
        __typeof__(bpf_object__detach_skeleton) *detach_skeleton;
        __typeof__(bpf_object__destroy_skeleton) *destroy_skeleton;
        __typeof__(bpf_map__update_elem) *map_update_elem;
        __typeof__(bpf_program__attach_cgroup) *program_attach_cgroup;
        __typeof__(libbpf_set_print) *set_print;
};

static struct bpf_lib bpf;

#define SYM(f, name) DLIB_SYMBOL(struct bpf_lib, f, name)
static const struct dlib_symbol symbols[] = {
        SYM(open_skeleton, "bpf_object__open_skeleton"),
        SYM(load_skeleton, "bpf_object__load_skeleton"),
        SYM(attach_skeleton, "bpf_object__attach_skeleton"),
        SYM(detach_skeleton, "bpf_object__detach_skeleton"),
        SYM(destroy_skeleton, "bpf_object__destroy_skeleton"),
        SYM(map_update_elem, "bpf_map__update_elem"),
        SYM(program_attach_cgroup, "bpf_program__attach_cgroup"),
        SYM(set_print, "libbpf_set_print"),
};

/* After libbpf.h has declared them, before the skeleton and this file call them. */
#define bpf_object__open_skeleton bpf.open_skeleton
#define bpf_object__load_skeleton bpf.load_skeleton
#define bpf_object__attach_skeleton bpf.attach_skeleton
#define bpf_object__detach_skeleton bpf.detach_skeleton
#define bpf_object__destroy_skeleton bpf.destroy_skeleton
#define bpf_map__update_elem bpf.map_update_elem
#define bpf_program__attach_cgroup bpf.program_attach_cgroup
#define libbpf_set_print bpf.set_print

#include "connect.skel.h"

int netbpf_load_library(struct mc_error *err)
{
        static struct dlib_once once;   /* err says why each time */
        if (dlib_open_once(&once, MCPCAGE_BPF_SONAME, symbols, sizeof(symbols) / sizeof(symbols[0]), &bpf,
                           err) == 0)
                return 0;
        return mc_error_prefix(err, "loading libbpf");
}

/* The tries' keys, as connect.bpf.c lays them out (struct bpf_lpm_trie_key + data). */
struct key4_port { uint32_t prefixlen; uint8_t data[2 + 4]; };
struct key4_any { uint32_t prefixlen; uint8_t data[4]; };
struct key6_port { uint32_t prefixlen; uint8_t data[2 + 16]; };
struct key6_any { uint32_t prefixlen; uint8_t data[16]; };

struct netbpf {
        struct connect_bpf *skel;
};

bool netbpf_built(void) { return true; }

/* libbpf hands its own format string through; the attribute says so to the compiler. */
__attribute__((format(printf, 2, 0)))
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
        if (level == LIBBPF_WARN && log_get_level() >= LOG_DEBUG)
                return vfprintf(stderr, fmt, ap);
        return 0;
}

static int add_rule(struct connect_bpf *sk, const struct net_rule *r)
{
        const uint8_t one = 1;
        int n = r->family == AF_INET ? 4 : 16;
        if (r->port >= 0) {
                struct key6_port k6 = { 0 };
                struct key4_port k4 = { 0 };
                uint8_t *data = r->family == AF_INET ? k4.data : k6.data;
                data[0] = (uint8_t)(r->port >> 8);
                data[1] = (uint8_t)(r->port & 0xff);
                memcpy(data + 2, r->addr, (size_t)n);
                k4.prefixlen = k6.prefixlen = (uint32_t)(16 + r->prefix);
                return r->family == AF_INET
                        ? bpf_map__update_elem(sk->maps.v4_port, &k4, sizeof(k4), &one, 1, BPF_ANY)
                        : bpf_map__update_elem(sk->maps.v6_port, &k6, sizeof(k6), &one, 1, BPF_ANY);
        }
        struct key6_any a6 = { .prefixlen = (uint32_t)r->prefix };
        struct key4_any a4 = { .prefixlen = (uint32_t)r->prefix };
        memcpy(r->family == AF_INET ? a4.data : a6.data, r->addr, (size_t)n);
        return r->family == AF_INET ? bpf_map__update_elem(sk->maps.v4_any, &a4, sizeof(a4), &one, 1, BPF_ANY)
                                    : bpf_map__update_elem(sk->maps.v6_any, &a6, sizeof(a6), &one, 1, BPF_ANY);
}

static int attach_all(struct connect_bpf *sk, int cgroup_fd)
{
        struct { struct bpf_program *p; struct bpf_link **l; } progs[] = {
                { sk->progs.mc_connect4, &sk->links.mc_connect4 },
                { sk->progs.mc_sendmsg4, &sk->links.mc_sendmsg4 },
                { sk->progs.mc_connect6, &sk->links.mc_connect6 },
                { sk->progs.mc_sendmsg6, &sk->links.mc_sendmsg6 },
        };
        for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
                *progs[i].l = bpf_program__attach_cgroup(progs[i].p, cgroup_fd);
                if (!*progs[i].l)
                        return errno ? -errno : -EINVAL;
        }
        return 0;
}

int netbpf_attach(const struct net_allow *allow, int cgroup_fd, struct netbpf **out,
                  struct mc_error *err)
{
        *out = NULL;
        int r = netbpf_load_library(err);
        if (r < 0)
                return r;
        libbpf_set_print(quiet);
        struct connect_bpf *sk = connect_bpf__open_and_load();
        if (!sk)
                return mc_error_errno(err, errno ? errno : EINVAL, "loading the cgroup BPF programs");
        for (size_t i = 0; r == 0 && i < allow->n; i++)
                if (allow->v[i].kind == NET_RULE_ADDR)
                        r = add_rule(sk, &allow->v[i]);
        if (r < 0) {
                connect_bpf__destroy(sk);
                return mc_error_errno(err, -r, "filling the cgroup BPF rules");
        }
        r = attach_all(sk, cgroup_fd);
        if (r < 0) {
                connect_bpf__destroy(sk);
                return mc_error_errno(err, -r, "attaching the cgroup BPF programs");
        }
        struct netbpf *b = malloc(sizeof(*b));
        if (!b) {
                connect_bpf__destroy(sk);
                return mc_error_set(err, ENOMEM, "out of memory");
        }
        b->skel = sk;
        *out = b;
        return 0;
}

void netbpf_free(struct netbpf *b)
{
        if (!b)
                return;
        connect_bpf__destroy(b->skel);
        free(b);
}
