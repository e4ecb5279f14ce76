#include "util/dlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

int dlib_open(const char *soname, const struct dlib_symbol *syms, size_t n, void *table,
              struct mc_error *err)
{
        void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                mc_error_set(err, ENOENT, "%s", dlerror());
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                void *f = dlsym(h, syms[i].name);
                if (!f) {
                        mc_error_set(err, ENOENT, "%s has no %s", soname, syms[i].name);
                        dlclose(h);
                        return -1;
                }
                /* POSIX: a function's address survives the round trip through void *. */
                memcpy((char *)table + syms[i].offset, &f, sizeof(f));
        }
        return 0;
}
