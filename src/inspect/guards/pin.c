/* The pin store of pin.h: canonical hashes, the key, and the files under
 * $XDG_STATE_HOME/mcpcage/pins (small JSON files, read at session start and written when a
 * tools/list result arrives). */
#include "inspect/guards/pin.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/files.h"
#include "util/hex.h"
#include "util/sha256.h"

#define PIN_MAX_BYTES (4u << 20)

static_assert(PIN_HEX == SHA256_HEX + 1, "a pin is a SHA-256 in hex");

static int sha256_parts(const char *const *parts, const size_t *lens, size_t n, char hex[PIN_HEX])
{
        struct sha256 ctx;
        sha256_init(&ctx);
        for (size_t i = 0; i < n; i++)
                sha256_update(&ctx, parts[i], lens[i]);
        unsigned char md[SHA256_LEN];
        sha256_final(&ctx, md);
        hex_encode(hex, md, SHA256_LEN);
        return 0;
}

int pin_hash_json(json_t *v, char hex[PIN_HEX])
{
        _cleanup_free_ char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (!s)
                return -ENOMEM;
        const char *parts[] = { s };
        size_t lens[] = { strlen(s) };
        return sha256_parts(parts, lens, 1, hex);
}

int pin_key(const char *policy_sha256, const char *exe, char *const *argv, char hex[PIN_HEX])
{
        size_t n = 0;
        while (argv && argv[n])
                n++;
        _cleanup_free_ const char **parts = calloc(n + 2, sizeof(*parts));
        _cleanup_free_ size_t *lens = calloc(n + 2, sizeof(*lens));
        if (!parts || !lens)
                return -ENOMEM;
        parts[0] = policy_sha256;
        parts[1] = exe;
        for (size_t i = 0; i < n; i++)
                parts[i + 2] = argv[i];
        for (size_t i = 0; i < n + 2; i++)
                lens[i] = strlen(parts[i]) + 1; /* with the NUL: "a b","c" != "a","b c" */
        return sha256_parts(parts, lens, n + 2, hex);
}

char *pin_dir(const char *state_home)
{
        char *d = NULL;
        if (!state_home || asprintf(&d, "%s/mcpcage/pins", state_home) < 0)
                return NULL;
        return d;
}

static bool valid_key(const char *key)
{
        size_t n = strlen(key);
        if (n != 64)
                return false;
        return strspn(key, "0123456789abcdef") == n;
}

int pin_load(const char *dir, const char *key, json_t **out, struct mc_error *err)
{
        *out = NULL;
        if (!valid_key(key))
                return mc_error_set(err, EINVAL, "pin: not a pin key: %s", key);
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s.json", dir, key) < 0)
                return mc_error_set(err, ENOMEM, "pin: out of memory");
        /* O_NONBLOCK: a FIFO at the name fails the regular-file test instead of hanging */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0 && errno == ENOENT)
                return 0;
        if (fd < 0)
                return mc_error_errno(err, errno, "pin: %s", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return mc_error_errno(err, errno, "pin: %s", path);
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) || st.st_size > PIN_MAX_BYTES)
                return mc_error_set(err, EPERM, "pin: %s must be a regular file of yours that nobody else "
                                    "can write (remove it with `mcpcage pin reset %.12s`)", path, key);
        json_error_t je;
        _cleanup_fclose_ FILE *f = fdopen(fd, "r");
        if (!f)
                return mc_error_errno(err, errno, "pin: %s", path);
        fd = -1;
        json_t *pin = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
        if (!pin || !json_is_object(pin) || !json_is_object(json_object_get(pin, "approved"))) {
                json_decref(pin);
                return mc_error_set(err, EINVAL, "pin: %s: not a pin file (line %d: %s); review it or "
                                    "run `mcpcage pin reset %.12s`", path, je.line, je.text, key);
        }
        *out = pin;
        return 0;
}

int pin_save(const char *dir, const char *key, json_t *pin, struct mc_error *err)
{
        int r = mkdir_private_p(dir);
        if (r < 0)
                return mc_error_errno(err, -r, "pin: creating %s", dir);
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        if (asprintf(&path, "%s/%s.json", dir, key) < 0 || asprintf(&tmp, "%s/.%s.XXXXXX", dir, key) < 0)
                return mc_error_set(err, ENOMEM, "pin: out of memory");
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return mc_error_errno(err, errno, "pin: creating a file in %s", dir);
        _cleanup_free_ char *text = json_dumps(pin, JSON_INDENT(2) | JSON_SORT_KEYS);
        size_t len = text ? strlen(text) : 0;
        ssize_t w = text ? write(fd, text, len) : -1;
        if (w != (ssize_t)len || write(fd, "\n", 1) != 1 || fchmod(fd, 0600) < 0 ||
            rename(tmp, path) < 0) {
                int e = text ? errno : ENOMEM;
                unlink(tmp);
                return mc_error_errno(err, e ? e : EIO, "pin: writing %s", path);
        }
        return 0;
}

int pin_remove(const char *dir, const char *key, struct mc_error *err)
{
        _cleanup_free_ char *path = NULL;
        if (!valid_key(key))
                return mc_error_set(err, EINVAL, "pin: not a pin key: %s", key);
        if (asprintf(&path, "%s/%s.json", dir, key) < 0)
                return mc_error_set(err, ENOMEM, "pin: out of memory");
        if (unlink(path) < 0)
                return mc_error_errno(err, errno, "pin: removing %s", path);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int pin_list(const char *dir, json_t **keys, struct mc_error *err)
{
        *keys = json_array();
        if (!*keys)
                return mc_error_set(err, ENOMEM, "pin: out of memory");
        DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : mc_error_errno(err, errno, "pin: %s", dir);
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len != 69 || strcmp(de->d_name + 64, ".json"))
                        continue;
                char **grown = realloc(names, (n + 1) * sizeof(*names));
                if (!grown || !(grown[n] = strndup(de->d_name, 64))) {
                        names = grown ? grown : names;
                        break;
                }
                names = grown;
                n++;
        }
        closedir(d);
        if (n)
                qsort(names, n, sizeof(*names), cmp_str);
        for (size_t i = 0; i < n; i++) {
                if (valid_key(names[i]))
                        json_array_append_new(*keys, json_string(names[i]));
                free(names[i]);
        }
        free(names);
        return 0;
}
