#include "sandbox/netns.h"

#include <unistd.h>

#include "net/listen.h"
#include "sandbox/sync.h"

void netns_enter(const struct net_plan *plan)
{
        if (plan->mode == NET_NONE || plan->mode == NET_HOST)
                return;
        int r = net_lo_up();
        if (r < 0)
                die_errno(-r, "bringing lo up in the network namespace");
        size_t n = net_plan_listeners(plan);
        for (size_t i = 0; i < n; i++) {
                int fd = net_listen(net_plan_listener(plan, i));
                if (fd < 0)
                        die_errno(-fd, "listening on %s in the network namespace",
                                  i == 0 ? "the proxy's address" : plan->fwd[i - 1].listen_text);
                /* The namespace keeps the socket alive through mcpcage's copy only: the
                 * server never holds it (it would see the proxy's clients). */
                sync_child_send_fd(SYNC_NET_LISTENER, (int)i, fd);
                close(fd);
        }
}
