/* What every libFuzzer target under tests/fuzz shares: the entry points libFuzzer (or the
 * replay driver, replay.c, in ordinary builds) calls, and a check that aborts with the
 * reason, so a broken invariant is a crash the fuzzer saves and minimises like any other. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional: targets that need fixed state (a compiled rule set, a loaded policy, a temp
 * directory) define it; it runs once before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define FUZZ_CHECK(cond, ...)                                                           \
        do {                                                                            \
                if (!(cond)) {                                                          \
                        fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__,   \
                                __LINE__, #cond);                                       \
                        fprintf(stderr, __VA_ARGS__);                                   \
                        fputc('\n', stderr);                                            \
                        abort();                                                        \
                }                                                                       \
        } while (0)

/* A fresh directory under $TMPDIR (or /tmp), removed with everything in it at exit. Aborts
 * when it cannot be made: a target without its fixtures would test nothing. */
const char *fuzz_tempdir(const char *tag);
/* "dir/name", malloc()ed: the caller frees it. */
char *fuzz_path(const char *dir, const char *name);
/* Write exactly size bytes to path (truncating); aborts on failure. */
void fuzz_write_file(const char *path, const void *data, size_t size);
/* tests/fuzz/fixtures/<name> in the source tree (FUZZ_FIXTURES from meson). */
char *fuzz_fixture(const char *name);
