/* libhs, opened when the first redactor wants it rather than when mcpcage starts.
 * Hyperscan and the C++ runtime it brings were ~3 ms of every start here (the dynamic
 * loader binding libstdc++ and libhs), paid even by a policy that redacts nothing.
 * Included only by the files that call Hyperscan (they include <hs.h> first). */
#pragma once

#include <hs.h>

struct redact_hs_lib {
        __typeof__(hs_valid_platform) *valid_platform;
        __typeof__(hs_version) *version;
        __typeof__(hs_populate_platform) *populate_platform;
        __typeof__(hs_compile_lit_multi) *compile_lit_multi;
        __typeof__(hs_free_compile_error) *free_compile_error;
        __typeof__(hs_serialize_database) *serialize_database;
        __typeof__(hs_deserialize_database) *deserialize_database;
        __typeof__(hs_free_database) *free_database;
        __typeof__(hs_alloc_scratch) *alloc_scratch;
        __typeof__(hs_free_scratch) *free_scratch;
        __typeof__(hs_scan) *scan;
};

/* The library's functions, loaded on the first call; NULL when it cannot be loaded (said
 * once on stderr: the portable gate then finds the anchors, with the same redactions). */
const struct redact_hs_lib *redact_hs_lib(void);

/* What redact_hs_lib() returned last: for the calls made on a redactor it built. */
extern const struct redact_hs_lib *redact_hs;
