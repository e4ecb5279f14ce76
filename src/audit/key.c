/* audit.key: the secret that turns the chain into HMAC-SHA256. A key that others can read
 * or replace protects nothing (anyone who reads it can forge the chain), so a file with any
 * group/other permission bit, or owned by another user, is refused rather than used. */
#include "audit/audit-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

static int check_owner_mode(int fd, const char *path, struct mc_error *err)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return mc_error_errno(err, errno, "audit.key %s: cannot stat", path);
        if (!S_ISREG(st.st_mode))
                return mc_error_set(err, EINVAL, "audit.key %s: not a regular file", path);
        if (st.st_uid != geteuid())
                return mc_error_set(err, EPERM,
                                    "audit.key %s: owned by uid %u, not by uid %u who runs mcpcage; "
                                    "chown it", path, (unsigned)st.st_uid, (unsigned)geteuid());
        if (st.st_mode & (S_IRWXG | S_IRWXO))
                return mc_error_set(err, EPERM,
                                    "audit.key %s: mode %04o lets others read or change the key; "
                                    "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
        return 0;
}

/* The key is the file's bytes, less one trailing newline, so both `head -c 32 /dev/urandom`
 * and `openssl rand -hex 32 > key` produce usable keys. */
static int read_key(int fd, const char *path, struct audit_key *key, struct mc_error *err)
{
        unsigned char buf[AUDIT_KEY_MAX + 1];
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return mc_error_errno(err, errno, "audit.key %s: cannot read", path);
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len == sizeof(buf))
                        return mc_error_set(err, EFBIG, "audit.key %s: longer than %d bytes",
                                            path, AUDIT_KEY_MAX);
        }
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        if (len > 0 && buf[len - 1] == '\r')
                len--;
        if (len < AUDIT_KEY_MIN) {
                explicit_bzero(buf, sizeof(buf));
                return mc_error_set(err, EINVAL,
                                    "audit.key %s: %zu bytes is too short a key (need %d or more; "
                                    "e.g. openssl rand -hex 32)", path, len, AUDIT_KEY_MIN);
        }
        key->bytes = malloc(len);
        if (!key->bytes) {
                explicit_bzero(buf, sizeof(buf));
                return mc_error_set(err, ENOMEM, "audit.key %s: out of memory", path);
        }
        memcpy(key->bytes, buf, len);
        key->len = len;
        explicit_bzero(buf, sizeof(buf));
        return 0;
}

int key_load(struct audit_key *key, const char *path, struct mc_error *err)
{
        /* Checked on the open file, not the path, so the file read is the file checked. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return mc_error_errno(err, errno, "audit.key %s: cannot open", path);
        int r = check_owner_mode(fd, path, err);
        if (r < 0)
                return r;
        return read_key(fd, path, key, err);
}

void key_clear(struct audit_key *key)
{
        if (key->bytes) {
                explicit_bzero(key->bytes, key->len);
                free(key->bytes);
        }
        key->bytes = NULL;
        key->len = 0;
}
