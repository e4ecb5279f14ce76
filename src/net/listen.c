#include "net/listen.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define NET_BACKLOG 64

int net_lo_up(void)
{
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        memcpy(ifr.ifr_name, "lo", 3);
        int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
        if (r == 0) {
                ifr.ifr_flags |= IFF_UP;
                r = ioctl(fd, SIOCSIFFLAGS, &ifr);
        }
        int e = errno;
        close(fd);
        return r < 0 ? -e : 0;
}

int net_listen(const struct net_endpoint *e)
{
        int fd = socket(e->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        int one = 1;
        /* An IPv6 listener is for IPv6 only: [::1] must not also take 127.0.0.1's port. */
        if (e->sa.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
                int err = errno;
                close(fd);
                return -err;
        }
        if (bind(fd, (const struct sockaddr *)&e->sa, e->len) < 0 || listen(fd, NET_BACKLOG) < 0) {
                int err = errno;
                close(fd);
                return -err;
        }
        return fd;
}
