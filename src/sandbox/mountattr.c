#include "sandbox/mountattr.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "sandbox/resolve.h"

bool mount_attr_supported(void)
{
        struct mount_attr a = { 0 };
        /* Nothing to change on no mount: whatever it answers (0, EBADF, EPERM), only
         * ENOSYS says the call is not there. */
        return mount_setattr(-1, "", AT_EMPTY_PATH, &a, sizeof(a)) == 0 || errno != ENOSYS;
}

static unsigned long ms_flags(unsigned attrs)
{
        return (attrs & MATTR_RDONLY ? MS_RDONLY : 0) | (attrs & MATTR_NOSUID ? MS_NOSUID : 0) |
               (attrs & MATTR_NODEV ? MS_NODEV : 0) | (attrs & MATTR_NOEXEC ? MS_NOEXEC : 0);
}

/* The flags the kernel already has on a mount; in a user namespace a remount must repeat
 * the locked ones (nosuid, nodev, noexec, atime) or it fails with EPERM. */
static int current_flags(const char *mp, unsigned long *out)
{
        struct statvfs sv;
        if (statvfs(mp, &sv) < 0)
                return -errno;
        static const struct { unsigned long st, ms; } map[] = {
                { ST_RDONLY, MS_RDONLY }, { ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV },
                { ST_NOEXEC, MS_NOEXEC }, { ST_NOATIME, MS_NOATIME },
                { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
        };
        *out = 0;
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (sv.f_flag & map[i].st)
                        *out |= map[i].ms;
        return 0;
}

static int remount_one(const char *mp, unsigned long add)
{
        unsigned long cur = 0;
        int r = current_flags(mp, &cur);
        if (r < 0)
                return r;
        return mount(NULL, mp, NULL, MS_REMOUNT | MS_BIND | cur | add, NULL) < 0 ? -errno : 0;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
        char *o = s;
        for (char *p = s; *p; ) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
                    p[3] >= '0' && p[3] <= '7') {
                        *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                        p += 4;
                } else {
                        *o++ = *p++;
                }
        }
        *o = '\0';
}

/* The child must not allocate: the table goes into a static buffer. */
static char table[1 << 20];

static int read_table(const char *mountinfo)
{
        int fd = open(mountinfo, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, table + len, sizeof(table) - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        int e = n < 0 ? errno : 0;
                        close(fd);
                        if (e)
                                return -e;
                        break;
                }
                len += (size_t)n;
                if (len == sizeof(table) - 1) {
                        close(fd);
                        return -EFBIG;
                }
        }
        table[len] = '\0';
        return 0;
}

static int remount_tree(const char *path, unsigned long add, const char *mountinfo, const char **what)
{
        int r = read_table(mountinfo);
        if (r < 0) {
                *what = mountinfo;
                return r;
        }
        for (char *line = table, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                /* id parent major:minor root mountpoint ... */
                char *field = line;
                for (int i = 0; i < 4 && field; i++) {
                        field = strchr(field, ' ');
                        if (field)
                                field++;
                }
                if (!field)
                        continue;
                char *end = strchr(field, ' ');
                if (end)
                        *end = '\0';
                unescape(field);
                if (!path_under(field, path))
                        continue;
                r = remount_one(field, add);
                if (r < 0) {
                        *what = path;
                        return r;
                }
        }
        return 0;
}

int mount_attr_set(const char *path, unsigned attrs, bool recursive, bool legacy,
                   const char *mountinfo, const char **what)
{
        *what = path;
        if (!legacy) {
                struct mount_attr a = { .attr_set = attrs };
                if (mount_setattr(AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &a, sizeof(a)) == 0)
                        return 0;
                if (errno != ENOSYS)
                        return -errno;
        }
        if (!recursive)
                return remount_one(path, ms_flags(attrs));
        return remount_tree(path, ms_flags(attrs), mountinfo, what);
}
