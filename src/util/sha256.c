/* See sha256.h for why these are the low-level functions and not EVP. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "util/sha256.h"

#include <assert.h>
#include <openssl/sha.h>
#include <string.h>

static_assert(sizeof(SHA256_CTX) <= sizeof(((struct sha256 *)0)->ctx),
              "struct sha256 holds a SHA256_CTX");
static_assert(_Alignof(SHA256_CTX) <= _Alignof(struct sha256), "and is aligned for it");
static_assert(SHA256_DIGEST_LENGTH == SHA256_LEN, "a SHA-256 digest is 32 bytes");

static SHA256_CTX *ctx_of(struct sha256 *s)
{
        return (SHA256_CTX *)(void *)s->ctx.bytes;
}

/* The SHA256_* functions return 1 always: they only do arithmetic on the caller's
 * context, they allocate nothing and fetch nothing, so there is no failure to pass up. */
void sha256_init(struct sha256 *s)
{
        SHA256_Init(ctx_of(s));
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
        SHA256_Update(ctx_of(s), data, len);
}

void sha256_final(struct sha256 *s, unsigned char out[static SHA256_LEN])
{
        SHA256_Final(out, ctx_of(s));
        explicit_bzero(s, sizeof(*s));
}

void sha256(const void *data, size_t len, unsigned char out[static SHA256_LEN])
{
        struct sha256 s;
        sha256_init(&s);
        sha256_update(&s, data, len);
        sha256_final(&s, out);
}
