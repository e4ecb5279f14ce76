#include "sandbox/sync.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int child_fd = -1;

void sync_child_init(int fd) { child_fd = fd; }

bool sync_child_wait_release(void)
{
        char go;
        ssize_t n;
        do
                n = recv(child_fd, &go, 1, 0);
        while (n < 0 && errno == EINTR);
        return n == 1;
}

bool sync_child_parent_alive(void)
{
        /* Not POLLIN: the release byte may be waiting already. */
        struct pollfd p = { .fd = child_fd, .events = POLLRDHUP };
        int n;
        do
                n = poll(&p, 1, 0);
        while (n < 0 && errno == EINTR);
        return n == 0 || !(p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

static _Noreturn void send_and_exit(int kind, int e, const char *text, int status)
{
        struct sync_msg m = { .kind = kind, .err = e };
        snprintf(m.text, sizeof(m.text), "%s", text);
        size_t len = offsetof(struct sync_msg, text) + strlen(m.text) + 1;
        if (child_fd >= 0)
                while (send(child_fd, &m, len, MSG_NOSIGNAL) < 0 && errno == EINTR)
                        ;
        _exit(status);
}

void die(const char *fmt, ...)
{
        char text[MC_ERROR_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        send_and_exit(SYNC_SETUP_FAILED, 0, text, 125);
}

void die_errno(int e, const char *fmt, ...)
{
        char text[MC_ERROR_MAX];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof(text))
                snprintf(text + n, sizeof(text) - (size_t)n, ": %s", strerror(e));
        send_and_exit(SYNC_SETUP_FAILED, e, text, 125);
}

void die_exec(int e, const char *path)
{
        send_and_exit(SYNC_EXEC_FAILED, e, path, e == ENOENT ? 127 : 126);
}

void die_ns_unusable(int e, const char *what)
{
        char text[MC_ERROR_MAX];
        snprintf(text, sizeof(text), "%s: %s", what, strerror(e));
        send_and_exit(SYNC_NS_UNUSABLE, e, text, 125);
}

void sync_child_send_fd(int kind, int index, int fd)
{
        struct sync_msg m = { .kind = kind, .err = index };
        struct iovec iov = { .iov_base = &m, .iov_len = offsetof(struct sync_msg, text) + 1 };
        union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
        memset(&u, 0, sizeof(u));
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        ssize_t n;
        do
                n = sendmsg(child_fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                die_errno(errno, "handing a descriptor to mcpcage");
}

void sync_child_send_listener(int fd)
{
        sync_child_send_fd(SYNC_LISTENER, 0, fd);
}

int sync_release(int fd, struct mc_error *err)
{
        const char go = 'g';
        ssize_t n;
        do
                n = send(fd, &go, 1, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                return mc_error_errno(err, n < 0 ? errno : EIO, "releasing the sandbox child");
        return 0;
}

int sync_read(int fd, struct sync_msg *msg)
{
        ssize_t n;
        memset(msg, 0, sizeof(*msg));
        msg->fd = -1;
        struct iovec iov = { .iov_base = msg, .iov_len = offsetof(struct sync_msg, fd) };
        union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf) };
        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
                memcpy(&msg->fd, CMSG_DATA(c), sizeof(int));
        /* ECONNRESET: the child died with the release byte unread, i.e. before setup. */
        if (n < 0)
                return -errno;
        if (n == 0)
                return 0;
        if ((size_t)n < offsetof(struct sync_msg, text)) {
                if (msg->fd >= 0)
                        close(msg->fd);
                return -EPROTO;
        }
        msg->text[sizeof(msg->text) - 1] = '\0';
        return 1;
}
