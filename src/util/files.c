#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "util/cleanup.h"
#include "util/files.h"

int mkdir_private_p(const char *dir)
{
        if (dir[0] != '/')
                return -EINVAL;
        _cleanup_free_ char *copy = strdup(dir);
        if (!copy)
                return -ENOMEM;
        for (char *s = strchr(copy + 1, '/');; s = strchr(s + 1, '/')) {
                if (s)
                        *s = '\0';
                if (mkdir(copy, 0700) < 0 && errno != EEXIST)
                        return -errno;
                if (!s)
                        return 0;
                *s = '/';
        }
}
