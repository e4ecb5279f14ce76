/* A build without clang or bpftool: no cgroup programs. Attaching fails, so the caller
 * reports network.allow in mode "host" as not enforced (degraded) or refuses to start when
 * the policy requires network-filter. */
#include "bpf/netbpf.h"

#include <errno.h>

bool netbpf_built(void) { return false; }

int netbpf_attach(const struct net_allow *allow, int cgroup_fd, struct netbpf **out,
                  struct mc_error *err)
{
        (void)allow;
        (void)cgroup_fd;
        *out = NULL;
        return mc_error_set(err, EOPNOTSUPP, "this mcpcage was built without its BPF programs "
                            "(clang or bpftool missing at build time)");
}

int netbpf_load_library(struct mc_error *err)
{
        return mc_error_set(err, EOPNOTSUPP, "this mcpcage was built without its BPF programs");
}

void netbpf_free(struct netbpf *b) { (void)b; }
