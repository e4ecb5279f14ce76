#include "util/dlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

int dlib_open(const char *soname, const struct dlib_symbol *syms, size_t n, void *table,
              struct mc_error *err)
{
        /* RTLD_LAZY: each object binds as its own flags say, as when linked at start
         * (libhs and libbpf are BIND_NOW; libstdc++, which libhs brings, is not, and
         * RTLD_NOW would resolve its ~4300 relocations: 1.3M more instructions here). The
         * functions the table names are looked up now, so a missing one fails here. */
        void *h = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
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

int dlib_open_once(struct dlib_once *once, const char *soname, const struct dlib_symbol *syms,
                   size_t n, void *table, struct mc_error *err)
{
        if (!once->state)
                once->state = dlib_open(soname, syms, n, table, &once->why) < 0 ? -1 : 1;
        if (once->state > 0)
                return 0;
        if (err)
                *err = once->why;
        return -1;
}
