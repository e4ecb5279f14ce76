/* SHA-256 for the audit chain, the policy fingerprint, tool pins, the anchor cache's name,
 * command.sha256 and sanitized arguments: libcrypto's own SHA-256 code, called directly.
 *
 * Why not EVP: in OpenSSL 3 every EVP digest is fetched from a provider, and the first
 * fetch sets up the provider and its method store. On this class of machine that, with the
 * loading and relocating of libcrypto.so, cost ~4 ms of every start (a 21 ms start with
 * `--isolation none`). The SHA256_* functions are the code the default provider itself runs
 * for "SHA256"; they need no provider, and linked from libcrypto.a they bring ~22 KB into
 * the binary and no relocations. They are marked deprecated in OpenSSL 3; this file is the
 * only one that calls them. HMAC, which has no such entry point, is in audit/chain.c. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX (2 * SHA256_LEN)

/* Big enough for libcrypto's SHA256_CTX (checked at build time in sha256.c), aligned as it. */
struct sha256 {
        union {
                unsigned char bytes[112];
                uint64_t align;
        } ctx;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Writes the digest and wipes the context. */
void sha256_final(struct sha256 *s, unsigned char out[static SHA256_LEN]);

void sha256(const void *data, size_t len, unsigned char out[static SHA256_LEN]);
