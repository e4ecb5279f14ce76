/* The regression side of the fuzz targets, built in every build with the ordinary compiler:
 * replays each file of the directories given on the command line through
 * LLVMFuzzerTestOneInput, one directory per TAP test point. Each file runs in a child of
 * its own so one crash names its file and the others still run; a saved crash
 * (tests/fuzz/crashes/<target>/) fails here until its fix lands, and keeps passing after.
 *
 *   fuzz-replay-<target> DIR...     (a missing directory is a skipped point) */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int read_all(const char *path, uint8_t **out, size_t *size)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return -errno;
        uint8_t *data = NULL;
        size_t n = 0, cap = 0;
        for (;;) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 4096;
                        uint8_t *p = realloc(data, cap);
                        if (!p) {
                                free(data);
                                fclose(f);
                                return -ENOMEM;
                        }
                        data = p;
                }
                size_t got = fread(data + n, 1, cap - n, f);
                n += got;
                if (got == 0)
                        break;
        }
        bool bad = ferror(f);
        fclose(f);
        if (bad) {
                free(data);
                return -EIO;
        }
        *out = data;
        *size = n;
        return 0;
}

/* 0 when the input ran clean; otherwise prints why as TAP diagnostics. The child frees
 * the parent's file list it inherited, so LeakSanitizer reports only what the target leaks. */
static int run_one(const char *path, char **names, size_t n)
{
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
                printf("#   %s: fork: %s\n", path, strerror(errno));
                return -1;
        }
        if (pid == 0) {
                uint8_t *data = NULL;
                size_t size = 0;
                int r = read_all(path, &data, &size);
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", path, strerror(-r));
                        _exit(2);
                }
                LLVMFuzzerTestOneInput(data, size);
                free(data);
                for (size_t i = 0; i < n; i++)
                        free(names[i]);
                free(names);
                exit(0);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        printf("#   %s: waitpid: %s\n", path, strerror(errno));
                        return -1;
                }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (WIFSIGNALED(status))
                printf("#   %s: killed by signal %d\n", path, WTERMSIG(status));
        else
                printf("#   %s: exit status %d\n", path, WEXITSTATUS(status));
        return -1;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool replay_dir(int point, const char *dir)
{
        DIR *d = opendir(dir);
        if (!d && errno == ENOENT) {
                printf("ok %d - %s # SKIP no such directory\n", point, dir);
                return true;
        }
        if (!d) {
                printf("not ok %d - %s: %s\n", point, dir, strerror(errno));
                return false;
        }
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')   /* ".", "..", ".gitkeep" */
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        char **p = realloc(names, cap * sizeof(*names));
                        FUZZ_CHECK(p, "out of memory");
                        names = p;
                }
                names[n++] = fuzz_path(dir, de->d_name);
        }
        closedir(d);
        if (n)  /* qsort(NULL, 0) is undefined behaviour */
                qsort(names, n, sizeof(*names), cmp_names);
        size_t failed = 0, files = 0;
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
                        files++;
                        if (run_one(names[i], names, n) < 0)
                                failed++;
                }
                free(names[i]);
                names[i] = NULL;
        }
        free(names);
        printf("%s %d - %s: %zu files, %zu failed\n", failed ? "not ok" : "ok", point, dir, files,
               failed);
        return failed == 0;
}

int main(int argc, char **argv)
{
        if (LLVMFuzzerInitialize)
                LLVMFuzzerInitialize(&argc, &argv);
        printf("1..%d\n", argc - 1);
        bool ok = true;
        for (int i = 1; i < argc; i++)
                ok = replay_dir(i, argv[i]) && ok;
        return ok ? 0 : 1;
}
