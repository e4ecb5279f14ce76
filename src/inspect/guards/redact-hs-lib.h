/* Hyperscan, opened when the first redactor wants it rather than when mcpcage starts, and
 * in two parts. Scanning with a compiled database needs only libhs_runtime, plain C; the
 * compiler, libhs, brings the C++ runtime, and the dynamic loader binding libstdc++ and
 * libhs was ~2.4 ms of a start here (libhs_runtime: ~0.3 ms). A database from the cache
 * (redact-hs-cache.c) needs only the runtime; the compiler is loaded on a cache miss.
 * Included only by the files that call Hyperscan (they include <hs.h> first). */
#pragma once

#include <hs.h>

/* libhs_runtime: everything done with a database once it exists. */
struct redact_hs_lib {
        __typeof__(hs_valid_platform) *valid_platform;
        __typeof__(hs_version) *version;
        __typeof__(hs_deserialize_database) *deserialize_database;
        __typeof__(hs_free_database) *free_database;
        __typeof__(hs_alloc_scratch) *alloc_scratch;
        __typeof__(hs_free_scratch) *free_scratch;
        __typeof__(hs_scan) *scan;
};

/* libhs: compiling one. Its databases go through serialize_database to the runtime's
 * deserialize_database, so every database a redactor holds is the runtime's. */
struct redact_hs_compiler {
        __typeof__(hs_compile_lit_multi) *compile_lit_multi;
        __typeof__(hs_free_compile_error) *free_compile_error;
        __typeof__(hs_serialize_database) *serialize_database;
        __typeof__(hs_free_database) *free_database;
};

/* The runtime's functions, loaded on the first call; NULL when it cannot be loaded (said
 * once on stderr: the portable gate then finds the anchors, with the same redactions). */
const struct redact_hs_lib *redact_hs_lib(void);

/* The compiler's, likewise (a cache miss); NULL when it cannot be loaded, said once. */
const struct redact_hs_compiler *redact_hs_compiler(void);

/* What redact_hs_lib() returned last: for the calls made on a redactor it built. */
extern const struct redact_hs_lib *redact_hs;
