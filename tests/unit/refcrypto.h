/* A reference SHA-256 and HMAC-SHA256 for the unit tests: libcrypto.so's one-shot SHA256()
 * and HMAC(), opened with dlopen. mcpcage itself hashes with libcrypto.a's SHA256_* linked in
 * (src/util/sha256.h) and keys with EVP_MAC; the tests check it against these other entry
 * points, so a mistake in how mcpcage drives either shows. */
#pragma once

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

typedef unsigned char *(*ref_sha256_fn)(const unsigned char *d, size_t n, unsigned char *md);
typedef const void *(*ref_evp_md_fn)(void);
typedef unsigned char *(*ref_hmac_fn)(const void *evp_md, const void *key, int key_len,
                                      const unsigned char *d, size_t n, unsigned char *md,
                                      unsigned int *md_len);

static void *ref_crypto_sym(const char *name)
{
        static void *h;
        if (!h && !(h = dlopen(MCPCAGE_CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL))) {
                printf("Bail out! %s\n", dlerror());
                exit(1);
        }
        void *f = dlsym(h, name);
        if (!f) {
                printf("Bail out! %s has no %s\n", MCPCAGE_CRYPTO_SONAME, name);
                exit(1);
        }
        return f;
}

/* Hex SHA-256 of data, or HMAC-SHA256 when key is not NULL. */
__attribute__((unused))
static void ref_hex_digest(const unsigned char *key, size_t key_len, const void *data, size_t n,
                           char out[65])
{
        unsigned char md[32];
        if (key) {
                ref_evp_md_fn evp_sha256;
                ref_hmac_fn hmac;
                *(void **)&evp_sha256 = ref_crypto_sym("EVP_sha256");
                *(void **)&hmac = ref_crypto_sym("HMAC");
                unsigned int len = 0;
                hmac(evp_sha256(), key, (int)key_len, data, n, md, &len);
        } else {
                ref_sha256_fn sha256_oneshot;
                *(void **)&sha256_oneshot = ref_crypto_sym("SHA256");
                sha256_oneshot(data, n, md);
        }
        for (int i = 0; i < 32; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
}
