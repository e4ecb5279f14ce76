// SPDX-License-Identifier: LGPL-2.1-or-later
/* cgroup socket-address programs for network mode "host" with an allow-list of addresses
 * (policy.md "network"): every connect() and every sendto()/sendmsg() with an address by a
 * process of the server's cgroup must hit a rule of network.allow, else it fails with
 * EPERM. Rules live in LPM tries filled by the loader (netbpf.c): one keyed by port then
 * address for rules with a port, one keyed by address for rules with "*". CO-RE: only
 * struct bpf_sock_addr's user fields are read, through vmlinux.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_RULES 256

struct key4_port { __u32 prefixlen; __u8 data[2 + 4]; };
struct key4_any { __u32 prefixlen; __u8 data[4]; };
struct key6_port { __u32 prefixlen; __u8 data[2 + 16]; };
struct key6_any { __u32 prefixlen; __u8 data[16]; };

#define TRIE(map_name, key_type)                                \
        struct {                                                \
                __uint(type, BPF_MAP_TYPE_LPM_TRIE);            \
                __uint(max_entries, MAX_RULES);                 \
                __type(key, struct key_type);                   \
                __type(value, __u8);                            \
                __uint(map_flags, BPF_F_NO_PREALLOC);           \
        } map_name SEC(".maps")

TRIE(v4_port, key4_port);
TRIE(v4_any, key4_any);
TRIE(v6_port, key6_port);
TRIE(v6_any, key6_any);

static __always_inline int allowed4(__u32 ip, __u32 user_port)
{
        __u16 port = bpf_ntohs((__u16)user_port);
        struct key4_port kp = { .prefixlen = 16 + 32 };
        kp.data[0] = port >> 8;
        kp.data[1] = port & 0xff;
        __builtin_memcpy(&kp.data[2], &ip, 4);
        if (bpf_map_lookup_elem(&v4_port, &kp))
                return 1;
        struct key4_any ka = { .prefixlen = 32 };
        __builtin_memcpy(ka.data, &ip, 4);
        return bpf_map_lookup_elem(&v4_any, &ka) ? 1 : 0;
}

static __always_inline int allowed6(struct bpf_sock_addr *ctx)
{
        __u32 ip[4];
        ip[0] = ctx->user_ip6[0];
        ip[1] = ctx->user_ip6[1];
        ip[2] = ctx->user_ip6[2];
        ip[3] = ctx->user_ip6[3];
        /* ::ffff:a.b.c.d from a dual-stack socket is a.b.c.d: the IPv4 rules decide */
        if (ip[0] == 0 && ip[1] == 0 && ip[2] == bpf_htonl(0xffff))
                return allowed4(ip[3], ctx->user_port);
        __u16 port = bpf_ntohs((__u16)ctx->user_port);
        struct key6_port kp = { .prefixlen = 16 + 128 };
        kp.data[0] = port >> 8;
        kp.data[1] = port & 0xff;
        __builtin_memcpy(&kp.data[2], ip, 16);
        if (bpf_map_lookup_elem(&v6_port, &kp))
                return 1;
        struct key6_any ka = { .prefixlen = 128 };
        __builtin_memcpy(ka.data, ip, 16);
        return bpf_map_lookup_elem(&v6_any, &ka) ? 1 : 0;
}

SEC("cgroup/connect4")
int mc_connect4(struct bpf_sock_addr *ctx) { return allowed4(ctx->user_ip4, ctx->user_port); }

SEC("cgroup/sendmsg4")
int mc_sendmsg4(struct bpf_sock_addr *ctx) { return allowed4(ctx->user_ip4, ctx->user_port); }

SEC("cgroup/connect6")
int mc_connect6(struct bpf_sock_addr *ctx) { return allowed6(ctx); }

SEC("cgroup/sendmsg6")
int mc_sendmsg6(struct bpf_sock_addr *ctx) { return allowed6(ctx); }

char LICENSE[] SEC("license") = "Dual BSD/GPL";
