#include "sandbox/initexe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* A regular file someone may execute; execveat() in the child says the rest. */
static int open_exe(const char *path)
{
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
                close(fd);
                return -EACCES;
        }
        return fd;
}

int init_exe_open(const char *path, struct mc_error *err)
{
        if (path) {
                int fd = open_exe(path);
                return fd >= 0 ? fd : mc_error_errno(err, -fd, "the sandbox's init %s", path);
        }
        /* The build tree's, or an installation that keeps both in one directory; whoever
         * can write there can replace mcpcage itself. */
        char self[PATH_MAX], beside[PATH_MAX + sizeof(INIT_EXE_NAME)] = "";
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = '\0';
                        snprintf(beside, sizeof(beside), "%s/%s", self, INIT_EXE_NAME);
                        int fd = open_exe(beside);
                        if (fd >= 0)
                                return fd;
                }
        }
        const char *installed = MCPCAGE_LIBEXECDIR "/" INIT_EXE_NAME;
        int fd = open_exe(installed);
        if (fd >= 0)
                return fd;
        return mc_error_set(err, ENOENT, "cannot find %s, the sandbox's init (looked for %s%s%s): "
                            "reinstall mcpcage", INIT_EXE_NAME, beside, beside[0] ? " and " : "", installed);
}
