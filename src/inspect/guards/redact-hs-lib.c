/* Hyperscan by dlopen (redact-hs-lib.h says why). The relay opens both parts it needs while
 * it builds the inspector, before it confines itself (no new executable mapping
 * afterwards). */
#include <stdbool.h>

#include "config.h"
#include "inspect/guards/redact-hs-lib.h"
#include "util/dlib.h"
#include "util/log.h"

const struct redact_hs_lib *redact_hs;

static struct redact_hs_lib lib;
static struct redact_hs_compiler compiler;

#define SYM(type, f) DLIB_SYMBOL(type, f, "hs_" #f)
static const struct dlib_symbol runtime_symbols[] = {
        SYM(struct redact_hs_lib, valid_platform), SYM(struct redact_hs_lib, version),
        SYM(struct redact_hs_lib, deserialize_database), SYM(struct redact_hs_lib, free_database),
        SYM(struct redact_hs_lib, alloc_scratch), SYM(struct redact_hs_lib, free_scratch),
        SYM(struct redact_hs_lib, scan),
};
static const struct dlib_symbol compiler_symbols[] = {
        SYM(struct redact_hs_compiler, compile_lit_multi),
        SYM(struct redact_hs_compiler, free_compile_error),
        SYM(struct redact_hs_compiler, serialize_database),
        SYM(struct redact_hs_compiler, free_database),
};

/* Opens soname into table once; says why not, once. true when the table can be used. */
static bool open_hs(struct dlib_once *once, const char *soname, const struct dlib_symbol *syms,
                    size_t n, void *table)
{
        bool first = !once->state;
        struct mc_error err = { 0 };
        if (dlib_open_once(once, soname, syms, n, table, &err) == 0)
                return true;
        if (first)
                log_warn("redaction: cannot load Hyperscan (%s); the portable gate finds the anchors "
                         "instead: the same redactions, slower", err.msg);
        return false;
}

const struct redact_hs_lib *redact_hs_lib(void)
{
        static struct dlib_once once;
        if (open_hs(&once, MCPCAGE_HS_RUNTIME_SONAME, runtime_symbols,
                    sizeof(runtime_symbols) / sizeof(runtime_symbols[0]), &lib))
                redact_hs = &lib;
        return redact_hs;
}

const struct redact_hs_compiler *redact_hs_compiler(void)
{
        static struct dlib_once once;
        return open_hs(&once, MCPCAGE_HS_SONAME, compiler_symbols,
                       sizeof(compiler_symbols) / sizeof(compiler_symbols[0]), &compiler)
                ? &compiler : NULL;
}
