/* libhs by dlopen (redact-hs-lib.h says why). The relay opens it while it builds the
 * inspector, before it confines itself (no new executable mapping afterwards). */
#include <stdbool.h>

#include "config.h"
#include "inspect/guards/redact-hs-lib.h"
#include "util/dlib.h"
#include "util/log.h"

const struct redact_hs_lib *redact_hs;

static struct redact_hs_lib lib;

#define SYM(f) DLIB_SYMBOL(struct redact_hs_lib, f, "hs_" #f)
static const struct dlib_symbol symbols[] = {
        SYM(valid_platform), SYM(version), SYM(populate_platform), SYM(compile_lit_multi),
        SYM(free_compile_error), SYM(serialize_database), SYM(deserialize_database),
        SYM(free_database), SYM(alloc_scratch), SYM(free_scratch), SYM(scan),
};

const struct redact_hs_lib *redact_hs_lib(void)
{
        static bool tried;
        if (tried)
                return redact_hs;
        tried = true;
        struct mc_error err = { 0 };
        if (dlib_open(MCPCAGE_HS_SONAME, symbols, sizeof(symbols) / sizeof(symbols[0]), &lib, &err) < 0) {
                log_warn("redaction: cannot load Hyperscan (%s); the portable gate finds the anchors "
                         "instead: the same redactions, slower", err.msg);
                return NULL;
        }
        redact_hs = &lib;
        return redact_hs;
}
