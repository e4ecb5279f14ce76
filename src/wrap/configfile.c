/* The desktop configuration on disk: where it is, reading it strictly, the backup, and
 * replacing it so that the desktop app (which may read it at any moment) sees the old file
 * or the new one, never half of one, with the mode the user gave it (it can hold tokens in
 * "env"). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "wrap/wrap-internal.h"

int wrap_default_config_path(const char *xdg_config_home, const char *home, char **out)
{
#ifdef __APPLE__
        (void)xdg_config_home;
        int r = asprintf(out, "%s/Library/Application Support/Claude/claude_desktop_config.json", home);
#else
        (void)home;
        int r = asprintf(out, "%s/Claude/claude_desktop_config.json", xdg_config_home);
#endif
        return r < 0 ? -ENOMEM : 0;
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

static int read_all(int fd, struct buf *b)
{
        for (;;) {
                if (buf_reserve(b, 65536) < 0)
                        return -ENOMEM;
                ssize_t n = read(fd, b->data + b->len, b->cap - b->len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                b->len += (size_t)n;
        }
}

int wrap_file_read(const char *path, struct wrap_file *f, struct mc_error *err)
{
        *f = (struct wrap_file){ 0 };
        f->path = realpath(path, NULL);
        if (!f->path)
                return mc_error_errno(err, errno, "%s", path);
        _cleanup_close_ int fd = open(f->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &f->st) < 0)
                return mc_error_errno(err, errno, "%s", f->path);
        if (!S_ISREG(f->st.st_mode))
                return mc_error_set(err, EINVAL, "%s: not a regular file", f->path);
        int r = read_all(fd, &f->bytes);
        if (r < 0)
                return mc_error_errno(err, -r, "%s: reading", f->path);
        json_error_t jerr;
        /* duplicate keys are refused: which one the desktop app uses is anyone's guess */
        f->tree = json_loadb(f->bytes.data ? f->bytes.data : "", f->bytes.len, JSON_REJECT_DUPLICATES, &jerr);
        if (!f->tree)
                return mc_error_set(err, EINVAL, "%s:%d:%d: %s", f->path, jerr.line, jerr.column, jerr.text);
        return 0;
}

void wrap_file_clear(struct wrap_file *f)
{
        free(f->path);
        buf_free(&f->bytes);
        json_decref(f->tree);
        *f = (struct wrap_file){ 0 };
}

char *wrap_dump(json_t *tree)
{
        _cleanup_free_ char *text = json_dumps(tree, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        char *out = NULL;
        if (!text || asprintf(&out, "%s\n", text) < 0)
                return NULL;
        return out;
}

/* Mode and owner of the original, on a file mcpcage just created. */
static int copy_identity(int fd, const struct stat *st)
{
        if (fchmod(fd, st->st_mode & 07777) < 0)
                return -errno;
        if ((st->st_uid != geteuid() || st->st_gid != getegid()) && fchown(fd, st->st_uid, st->st_gid) < 0)
                return -errno;
        return 0;
}

static int create_backup(const char *name, const struct wrap_file *f)
{
        _cleanup_close_ int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        int r = copy_identity(fd, &f->st);
        if (r == 0)
                r = write_all(fd, f->bytes.data ? f->bytes.data : "", f->bytes.len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r < 0)
                unlink(name);
        return r;
}

int wrap_file_backup(const struct wrap_file *f, char **backup, struct mc_error *err)
{
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm))
                return mc_error_set(err, EINVAL, "cannot format the time for the backup's name");
        for (int i = 0; i < 100; i++) {
                _cleanup_free_ char *name = NULL;
                int n = i == 0 ? asprintf(&name, "%s.mcpcage-backup", f->path)
                      : i == 1 ? asprintf(&name, "%s.mcpcage-backup.%s", f->path, stamp)
                               : asprintf(&name, "%s.mcpcage-backup.%s-%d", f->path, stamp, i);
                if (n < 0)
                        return mc_error_set(err, ENOMEM, "out of memory");
                int r = create_backup(name, f);
                if (r == -EEXIST)
                        continue;
                if (r < 0)
                        return mc_error_errno(err, -r, "%s: writing the backup", name);
                *backup = TAKE_PTR(name);
                return 0;
        }
        return mc_error_set(err, EEXIST, "%s.mcpcage-backup.%s: too many backups this second", f->path, stamp);
}

static int fsync_dir(const char *dir)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 || fsync(fd) < 0 ? -errno : 0;
}

int wrap_file_replace(const struct wrap_file *f, const char *text, struct mc_error *err)
{
        /* The desktop app writes this file too (settings, its own server list): if it did
         * since we read it, renaming over it would silently undo that. */
        struct stat now;
        if (stat(f->path, &now) < 0)
                return mc_error_errno(err, errno, "%s", f->path);
        if (now.st_ino != f->st.st_ino || now.st_size != f->st.st_size ||
            now.st_mtim.tv_sec != f->st.st_mtim.tv_sec || now.st_mtim.tv_nsec != f->st.st_mtim.tv_nsec)
                return mc_error_set(err, EAGAIN, "%s changed while mcpcage was working on it; nothing "
                                    "was written, run the command again", f->path);
        _cleanup_free_ char *d = strdup(f->path), *b = strdup(f->path), *tmp = NULL;
        if (!d || !b || asprintf(&tmp, "%s/.%s.mcpcage-XXXXXX", dirname(d), basename(b)) < 0)
                return mc_error_set(err, ENOMEM, "out of memory");
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return mc_error_errno(err, errno, "%s: creating", tmp);
        int r = copy_identity(fd, &f->st);
        if (r == 0)
                r = write_all(fd, text, strlen(text));
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && rename(tmp, f->path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return mc_error_errno(err, -r, "%s: replacing it", f->path);
        }
        /* the rename itself must survive a crash, or the backup and the file disagree */
        _cleanup_free_ char *dir = strdup(f->path);
        if (!dir)
                return mc_error_set(err, ENOMEM, "out of memory");
        r = fsync_dir(dirname(dir));
        return r < 0 ? mc_error_errno(err, -r, "%s: syncing its directory", f->path) : 0;
}
