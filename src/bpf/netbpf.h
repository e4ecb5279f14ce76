/* The loader of connect.bpf.c: network mode "host" with addresses in network.allow,
 * enforced in the kernel by cgroup connect4/connect6/sendmsg4/sendmsg6 programs attached to
 * a cgroup that holds only the server (policy.md "network"; defence in depth when there is
 * no network namespace to filter in). Needs CAP_BPF and CAP_NET_ADMIN (root in practice);
 * built only when clang and bpftool were found (else netbpf_built() is false and attaching
 * says so). Name rules cannot be checked here: only address rules are loaded. */
#pragma once

#include <stdbool.h>

#include "net/allow.h"
#include "util/error.h"

struct netbpf;

/* Whether this build has the programs (clang, bpftool and the kernel's BTF at build time). */
bool netbpf_built(void);

/* Opens libbpf (it is not linked: util/dlib.h). 0, or -errno with err saying why.
 * netbpf_attach() calls it; `mcpcage doctor` asks it too. */
int netbpf_load_library(struct mc_error *err);

/* Loads the programs with allow's address rules and attaches them to the cgroup directory
 * cgroup_fd. 0, or -errno with err saying why (EOPNOTSUPP: not built; EPERM: not
 * privileged). */
int netbpf_attach(const struct net_allow *allow, int cgroup_fd, struct netbpf **out,
                  struct mc_error *err);

/* Detaches and unloads. NULL is a no-op. */
void netbpf_free(struct netbpf *b);
