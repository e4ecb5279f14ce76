/* The cache of compiled anchor databases (src/inspect/guards/redact-hs-cache.c): a miss is
 * stored 0600 in a 0700 directory, a hit is loaded without a write, and every file that
 * cannot be trusted (damaged, another set's database, writable by others, a symlink, no
 * directory) is passed over for a fresh compile, never an error, and redaction works the
 * same every time. "Loaded" shows as the file left untouched (same inode and mtime);
 * "compiled anew" as the file replaced by a new one. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "config.h"
#include "inspect/guards/redact.h"
#include "tap.h"
#include "util/buf.h"
#include "util/cleanup.h"

static const char secrets_policy[] = "{\"mcp\":{\"redact\":{\"results\":[\"secrets\"]}}}";
static const char pii_policy[] = "{\"mcp\":{\"redact\":{\"results\":[\"pii\"]}}}";
static const char token[] = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";

static char dir[256];

static struct redactor *build(const char *policy)
{
        _cleanup_json_ json_t *root = json_loads(policy, 0, NULL);
        struct redactor *r = NULL;
        struct mc_error err = { 0 };
        if (!root || redactor_new(root, NULL, &r, &err) < 0)
                printf("# redactor_new: %s\n", err.msg);
        return r;
}

/* A fresh redactor of the secrets policy still redacts a GitHub token. */
static bool secrets_work(void)
{
        struct redactor *r = build(secrets_policy);
        if (!r)
                return false;
        char text[128];
        snprintf(text, sizeof(text), "the token is %s, keep it", token);
        struct buf out = { 0 };
        int rc = redact_string(r, redactor_results(r), text, strlen(text), &out, NULL);
        buf_append(&out, "", 1);
        bool ok = rc == 1 && !strstr(out.data, token) && strstr(out.data, "[REDACTED:github_token]");
        if (!ok)
                printf("# rc=%d out=%s\n", rc, out.data ? out.data : "");
        buf_free(&out);
        redactor_free(r);
        return ok;
}

/* The one *.db file in the cache directory other than `except` (NULL: any). */
static bool find_db(const char *except, char *path, size_t size)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        bool found = false;
        while (d && (e = readdir(d)))
                if (strlen(e->d_name) == 67 && !strcmp(e->d_name + 64, ".db") &&
                    (!except || !strstr(except, e->d_name))) {
                        snprintf(path, size, "%s/%s", dir, e->d_name);
                        found = true;
                }
        if (d)
                closedir(d);
        return found;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
        return a->st_ino == b->st_ino && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
               a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static bool copy_file(const char *from, const char *to)
{
        char data[1 << 16];
        int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_TRUNC);
        ssize_t n = in >= 0 ? read(in, data, sizeof(data)) : -1;
        bool ok = n > 0 && out >= 0 && write(out, data, (size_t)n) == n;
        if (in >= 0)
                close(in);
        if (out >= 0)
                close(out);
        return ok;
}

/* Rebuilds and reports whether the file at path was replaced (compiled anew and stored). */
static bool rebuilt(const char *path, const struct stat *before)
{
        struct stat after;
        return secrets_work() && lstat(path, &after) == 0 && S_ISREG(after.st_mode) &&
               (after.st_mode & 0777) == 0600 && !same_file(before, &after);
}

int main(void)
{
        char base[] = "/tmp/mcpcage-test-redact-cache-XXXXXX";
        if (!mkdtemp(base)) {
                tap_ok(false, "mkdtemp");
                return tap_done();
        }
        snprintf(dir, sizeof(dir), "%s/cache/mcpcage/hyperscan", base);

        redactor_cache_dir(NULL);
        tap_ok(secrets_work(), "without a cache directory: compiled, redacts");
        char path[512], other[512];
        struct stat st, dst;
        tap_ok(stat(dir, &st) < 0, "without a cache directory: nothing written");

        redactor_cache_dir(dir);
        tap_ok(secrets_work(), "first run: compiled, redacts");
        if (!find_db(NULL, path, sizeof(path))) {
#if MCPCAGE_HAVE_HYPERSCAN
                tap_ok(false, "first run stores a database under %s", dir);
#else
                tap_skip("built without Hyperscan (libhyperscan-dev): there is nothing to cache",
                         "the anchor database cache");
#endif
                return tap_done();
        }
        tap_ok(stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600,
               "the stored database is a 0600 file");
        tap_ok(stat(dir, &dst) == 0 && (dst.st_mode & 0777) == 0700, "in a directory created 0700");

        struct stat again;
        tap_ok(secrets_work() && stat(path, &again) == 0 && same_file(&st, &again),
               "second run: loaded (the file is left untouched), redacts");

        /* A damaged payload: the recorded SHA-256 no longer matches. */
        int fd = open(path, O_WRONLY);
        tap_ok(fd >= 0 && pwrite(fd, "\xff\x00\xff\x00", 4, 200) == 4, "damage the payload");
        if (fd >= 0)
                close(fd);
        stat(path, &st);
        tap_ok(rebuilt(path, &st), "a damaged file is passed over, compiled anew and replaced");

        /* A sound database of another anchor set, under this set's name: the check that the
         * loaded database finds every anchor turns it away. */
        struct redactor *pii = build(pii_policy);
        tap_ok(pii != NULL && find_db(path, other, sizeof(other)), "the pii set has a database of its own");
        redactor_free(pii);
        tap_ok(copy_file(other, path) && stat(path, &st) == 0, "copy the pii database over the secrets one");
        tap_ok(rebuilt(path, &st), "another set's database is passed over, compiled anew and replaced");

        tap_ok(chmod(path, 0620) == 0 && stat(path, &st) == 0, "make the file group-writable");
        tap_ok(rebuilt(path, &st), "a file others can write is passed over and replaced by a 0600 one");

        /* A symlink at the name: not followed, its target never written. */
        char target[512];
        snprintf(target, sizeof(target), "%s/elsewhere", base);
        tap_ok(rename(path, target) == 0 && symlink(target, path) == 0 && lstat(path, &st) == 0,
               "replace the file with a symlink to a good database elsewhere");
        struct stat tst, tst2;
        stat(target, &tst);
        tap_ok(rebuilt(path, &st) && stat(target, &tst2) == 0 && same_file(&tst, &tst2),
               "a symlink is not followed: compiled anew, the link replaced, its target untouched");

        /* A FIFO at the name: opening it must not wait for a writer. */
        tap_ok(unlink(path) == 0 && mkfifo(path, 0600) == 0 && lstat(path, &st) == 0, "put a FIFO at the name");
        tap_ok(rebuilt(path, &st), "a FIFO does not hang the start: compiled anew, replaced by a file");

        /* A cache directory that cannot exist: a file where a parent directory should be. */
        char blocked[512];
        snprintf(blocked, sizeof(blocked), "%s/file/hyperscan", base);
        char file[512];
        snprintf(file, sizeof(file), "%s/file", base);
        fd = open(file, O_WRONLY | O_CREAT, 0600);
        if (fd >= 0)
                close(fd);
        redactor_cache_dir(blocked);
        tap_ok(secrets_work(), "a cache directory that cannot be created: compiled, redacts, no error");
        redactor_cache_dir(NULL);

        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        (void)!system(cmd);
        return tap_done();
}
