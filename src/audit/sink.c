/* Where records go: a JSONL file shared by every mcpcage process of the user (a desktop host
 * starts one per server), or stderr for "-". Each record is one write() of the whole line on
 * an O_APPEND descriptor: the kernel appends it at the end of the file as one unit, so lines
 * of concurrent writers never tear or overwrite one another. */
#include "audit/audit-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

/* The log may hold tool names, paths and decisions: nobody else reads it (policy.md: file
 * 0600, directories 0700). Only missing directories are created; existing ones keep their
 * mode, since the user may share a directory on purpose. */
static int make_parents(const char *path, struct mc_error *err)
{
        _cleanup_free_ char *dir = strdup(path);
        if (!dir)
                return mc_error_set(err, ENOMEM, "audit: out of memory");
        for (char *p = dir + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                        return mc_error_errno(err, errno, "audit file %s: cannot create directory %s",
                                              path, dir);
                *p = '/';
        }
        return 0;
}

static int open_file(const char *path, struct mc_error *err)
{
        int r = make_parents(path, err);
        if (r < 0)
                return r;
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return mc_error_errno(err, errno, "audit file %s: cannot open for appending", path);
        return fd;
}

int sink_open(struct audit_sink *s, const char *path, struct mc_error *err)
{
        *s = (struct audit_sink){ .fd = -1 };
        if (!path)
                return 0;
        if (!strcmp(path, "-")) {
                s->fd = STDERR_FILENO;
                return 0;
        }
        s->path = strdup(path);
        if (!s->path)
                return mc_error_set(err, ENOMEM, "audit: out of memory");
        int fd = open_file(path, err);
        if (fd < 0)
                return fd;
        s->fd = fd;
        return 0;
}

/* logrotate renamed the file: open the path afresh. On failure the old descriptor stays,
 * so records keep flowing into the rotated file rather than nowhere. */
int sink_reopen(struct audit_sink *s, struct mc_error *err)
{
        if (!s->path)
                return 0;
        int fd = open_file(s->path, err);
        if (fd < 0)
                return fd;
        if (s->fd >= 0)
                close(s->fd);
        s->fd = fd;
        return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
        /* One write() carries the whole record. We loop only for EINTR and for a short write,
         * which on a regular file happens only when the disk fills mid-record: finishing the
         * line beats leaving half a record that would join the next one. */
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int sink_write(struct audit_sink *s, const char *data, size_t len, uint64_t records)
{
        if (s->fd < 0)
                return 0;
        int r = write_all(s->fd, data, len);
        if (r < 0) {
                /* A full disk must not kill the relay: say it once, count, carry on. */
                if (!s->failing)
                        log_error("audit: cannot write to %s: %s; records are being lost "
                                  "(the chain will show the gap)",
                                  s->path ? s->path : "stderr", strerror(-r));
                s->failing = true;
                s->lost += records;
                return r;
        }
        if (s->failing) {
                log_error("audit: writing to %s again after %llu lost record(s)",
                          s->path ? s->path : "stderr", (unsigned long long)s->lost);
                s->failing = false;
                s->lost = 0;
        }
        return 0;
}

void sink_close(struct audit_sink *s)
{
        if (s->path && s->fd >= 0)
                close(s->fd);
        free(s->path);
        *s = (struct audit_sink){ .fd = -1 };
}
