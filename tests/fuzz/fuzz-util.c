/* Temp directories and fixture paths for the fuzz targets. */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <unistd.h>

#define MAX_TEMPDIRS 4

static char *tempdirs[MAX_TEMPDIRS];
static size_t n_tempdirs;
static pid_t owner;     /* the replay driver's children exit too: only the creator removes */

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)type;
        (void)ftw;
        remove(path);
        return 0;
}

static void remove_tempdirs(void)
{
        if (getpid() != owner)
                return;
        for (size_t i = 0; i < n_tempdirs; i++) {
                nftw(tempdirs[i], remove_one, 16, FTW_DEPTH | FTW_PHYS);
                free(tempdirs[i]);
        }
        n_tempdirs = 0;
}

const char *fuzz_tempdir(const char *tag)
{
        const char *base = getenv("TMPDIR");
        char tmpl[4096];
        snprintf(tmpl, sizeof(tmpl), "%s/mcpcage-fuzz-%s-XXXXXX", base && *base ? base : "/tmp", tag);
        FUZZ_CHECK(n_tempdirs < MAX_TEMPDIRS, "too many temp directories");
        FUZZ_CHECK(mkdtemp(tmpl), "mkdtemp %s: %s", tmpl, strerror(errno));
        if (n_tempdirs == 0) {
                owner = getpid();
                atexit(remove_tempdirs);
        }
        tempdirs[n_tempdirs] = strdup(tmpl);
        FUZZ_CHECK(tempdirs[n_tempdirs], "out of memory");
        return tempdirs[n_tempdirs++];
}

char *fuzz_path(const char *dir, const char *name)
{
        size_t n = strlen(dir) + strlen(name) + 2;
        char *p = malloc(n);
        FUZZ_CHECK(p, "out of memory");
        snprintf(p, n, "%s/%s", dir, name);
        return p;
}

void fuzz_write_file(const char *path, const void *data, size_t size)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        FUZZ_CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
        const char *p = data;
        while (size > 0) {
                ssize_t n = write(fd, p, size);
                if (n < 0 && errno == EINTR)
                        continue;
                FUZZ_CHECK(n > 0, "write %s: %s", path, strerror(errno));
                p += n;
                size -= (size_t)n;
        }
        FUZZ_CHECK(close(fd) == 0, "close %s: %s", path, strerror(errno));
}

char *fuzz_fixture(const char *name)
{
        return fuzz_path(FUZZ_FIXTURES, name);
}
