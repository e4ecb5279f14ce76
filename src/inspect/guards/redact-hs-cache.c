/* The on-disk cache of compiled anchor databases (with MCPCAGE_HAVE_HYPERSCAN). Compiling the
 * redaction anchors is most of mcpcage's start (tens of millions of instructions for a few
 * dozen literals); the compiled database is ~10 KB and loads in a microsecond. So the first
 * run of a policy stores it under $XDG_CACHE_HOME/mcpcage/hyperscan/<key>.db and later runs
 * load it.
 *
 * The key is the SHA-256 of everything the compiled database depends on: Hyperscan's
 * version, the CPU features its code paths are chosen by (AVX2, AVX-512BW, AVX-512VBMI; so
 * machines sharing a home directory keep their own files, and Hyperscan's runtime refuses
 * at load a database built for features this CPU lacks), the mode, and every literal with
 * its flags in order (ids are positions). Only the runtime half of Hyperscan is needed to
 * compute it and to load a database (redact-hs-lib.h). A file is used only if it is a
 * regular file of the effective user that nobody else can write, its header names this format, and the
 * SHA-256 of its payload matches the header; the caller then checks that the database
 * finds every literal (redact-hs.c). Anything else (missing, unreadable, stale, corrupt,
 * no cache directory) is not an error: the anchors are compiled as if there were no cache,
 * and a miss is stored for next time when the directory can be written. Trust: the cache
 * sits with the user's own configuration (a process that can write it can also edit the
 * user's policies), and a confined server cannot write it unless its policy grants it the
 * user's cache directory (see mcpcage(1), FILES). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "inspect/guards/redact-internal.h"
#include "util/cleanup.h"
#include "util/cpu.h"
#include "util/hex.h"
#include "util/sha256.h"
#include "util/files.h"
#include "util/log.h"

#if MCPCAGE_HAVE_HYPERSCAN
#include <hs.h>

#include "inspect/guards/redact-hs-lib.h"

#define CACHE_MAGIC "mcpcage-hs 1\n"
#define CACHE_MAGIC_LEN (sizeof(CACHE_MAGIC) - 1)
#define CACHE_HEADER_LEN (CACHE_MAGIC_LEN + SHA256_LEN)   /* the magic, the payload's SHA-256 */
#define CACHE_MAX_BYTES (16u << 20)

static char cache_dir[PATH_MAX];

void redactor_cache_dir(const char *dir)
{
        cache_dir[0] = '\0';
        if (dir && dir[0] == '/' && strlen(dir) < sizeof(cache_dir))
                memcpy(cache_dir, dir, strlen(dir) + 1);
}

static void digest_update_u32(struct sha256 *ctx, unsigned v)
{
        unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                               (unsigned char)(v >> 24) };
        sha256_update(ctx, b, sizeof(b));
}

int redact_hs_cache_key(const char *const *lits, const size_t *lens, const unsigned *flags, size_t n,
                        char key[65])
{
        const char *version = redact_hs->version();
        struct sha256 ctx;
        sha256_init(&ctx);
        sha256_update(&ctx, CACHE_MAGIC, CACHE_MAGIC_LEN);
        sha256_update(&ctx, version, strlen(version) + 1);
        digest_update_u32(&ctx, cpu_simd_features() & (CPU_AVX2 | CPU_AVX512BW | CPU_AVX512VBMI));
        digest_update_u32(&ctx, HS_MODE_BLOCK);
        digest_update_u32(&ctx, (unsigned)n);
        for (size_t i = 0; i < n; i++) {
                digest_update_u32(&ctx, (unsigned)lens[i]);
                digest_update_u32(&ctx, flags[i]);
                sha256_update(&ctx, lits[i], lens[i]);
        }
        unsigned char md[SHA256_LEN];
        sha256_final(&ctx, md);
        hex_encode(key, md, SHA256_LEN);
        return 0;
}

static char *cache_path(const char *key)
{
        char *path = NULL;
        if (asprintf(&path, "%s/%s.db", cache_dir, key) < 0)
                return NULL;
        return path;
}

/* Whether the SHA-256 of the payload is the one the header recorded. */
static bool payload_intact(const char *data, size_t size)
{
        unsigned char md[SHA256_LEN];
        sha256(data + CACHE_HEADER_LEN, size - CACHE_HEADER_LEN, md);
        return memcmp(md, data + CACHE_MAGIC_LEN, sizeof(md)) == 0;
}

/* Reads the whole file at fd (at most CACHE_MAX_BYTES). */
static char *read_all(int fd, size_t size)
{
        char *data = malloc(size ? size : 1);
        size_t got = 0;
        while (data && got < size) {
                ssize_t k = read(fd, data + got, size - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        free(data);
                        return NULL;
                }
                got += (size_t)k;
        }
        return data;
}

void *redact_hs_cache_load(const char *key)
{
        if (!cache_dir[0])
                return NULL;
        _cleanup_free_ char *path = cache_path(key);
        if (!path)
                return NULL;
        /* O_NONBLOCK: a FIFO planted at the name must not hang the start (it then fails the
         * regular-file test below); O_NOCTTY: nor may a terminal become ours */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                if (errno != ENOENT)
                        log_debug("redaction cache: %s: %s; compiling", path, strerror(errno));
                return NULL;
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) ||
            st.st_size <= (off_t)CACHE_HEADER_LEN || st.st_size > CACHE_MAX_BYTES) {
                log_debug("redaction cache: %s is not a file of yours that only you can write; compiling",
                          path);
                return NULL;
        }
        size_t size = (size_t)st.st_size;
        _cleanup_free_ char *data = read_all(fd, size);
        if (!data || memcmp(data, CACHE_MAGIC, CACHE_MAGIC_LEN) != 0 || !payload_intact(data, size)) {
                log_debug("redaction cache: %s: unreadable or damaged; compiling", path);
                return NULL;
        }
        hs_database_t *db = NULL;
        if (redact_hs->deserialize_database(data + CACHE_HEADER_LEN, size - CACHE_HEADER_LEN, &db) != HS_SUCCESS) {
                log_debug("redaction cache: %s: not a database this Hyperscan can use; compiling", path);
                return NULL;
        }
        return db;
}

void redact_hs_cache_store(const char *key, const char *bytes, size_t n)
{
        if (!cache_dir[0])
                return;
        unsigned char md[SHA256_LEN];
        sha256(bytes, n, md);
        _cleanup_free_ char *path = cache_path(key), *tmp = NULL;
        int r = mkdir_private_p(cache_dir);
        if (r < 0 || !path || asprintf(&tmp, "%s/.%s.XXXXXX", cache_dir, key) < 0) {
                if (r < 0)
                        log_debug("redaction cache: creating %s: %s", cache_dir, strerror(-r));
                return;
        }
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        bool ok = fd >= 0 && write(fd, CACHE_MAGIC, CACHE_MAGIC_LEN) == (ssize_t)CACHE_MAGIC_LEN &&
                  write(fd, md, sizeof(md)) == (ssize_t)sizeof(md) && write(fd, bytes, n) == (ssize_t)n &&
                  fchmod(fd, 0600) == 0 && rename(tmp, path) == 0;
        if (!ok) {
                log_debug("redaction cache: writing %s: %s", path, strerror(errno));
                if (fd >= 0)
                        unlink(tmp);
        }
}
#else
void redactor_cache_dir(const char *dir)
{
        (void)dir;
}
#endif
