/* The relay's resident memory once the session runs (see residency.h). */
#include "relay/residency.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "util/cleanup.h"

void relay_drop_start_pages(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/smaps", "re");
        char line[512];
        unsigned long lo = 0, hi = 0;
        bool candidate = false, whole = true;
        while (f && fgets(line, sizeof(line), f)) {
                /* the rest of a line longer than the buffer (a long path) is no header */
                bool rest = !whole;
                whole = strchr(line, '\n') != NULL;
                if (rest) {
                        candidate = false;
                        continue;
                }
                char perms[5];
                int path = 0;
                unsigned long a, b, kb;
                /* a mapping's first line, then its fields ("Anonymous:" parses as hex "A") */
                if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &a, &b, perms, &path) == 3) {
                        lo = a;
                        hi = b;
                        candidate = path && line[path] == '/' && perms[1] == '-' && perms[3] == 'p';
                } else if (candidate && sscanf(line, "Anonymous: %lu kB", &kb) == 1 && kb == 0)
                        (void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
        }
        malloc_trim(0);
}
