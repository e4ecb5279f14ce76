/* The record chain: each record's `prev` is the digest of the previous record's exact line
 * (without its newline). Plain SHA-256 shows accidental damage and naive edits; anybody who
 * can write the file can recompute it after a forgery. With audit.key the digest is
 * HMAC-SHA256, which only the key holder can recompute, so an edit, deletion or insertion
 * shows even against an attacker who can write the log.
 *
 * SHA-256 is libcrypto's own code linked in (util/sha256.h). HMAC is only reached through
 * OpenSSL 3's EVP_MAC and its provider, whose set-up costs milliseconds at every start, so
 * libcrypto.so is opened (dlopen) only by a session with a key, the way Hyperscan is: a
 * session without one never loads it. The MAC is fetched and keyed once, at chain_init; each
 * record only re-initialises the context, which restores the keyed state. */
#include "audit/audit-internal.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "config.h"
#include "util/dlib.h"

/* The functions of libcrypto.so that HMAC needs, resolved by dlopen. */
struct crypto_mac_lib {
        int (*init_crypto)(uint64_t opts, const OPENSSL_INIT_SETTINGS *settings);
        EVP_MAC *(*mac_fetch)(OSSL_LIB_CTX *libctx, const char *algorithm, const char *properties);
        void (*mac_free)(EVP_MAC *mac);
        EVP_MAC_CTX *(*ctx_new)(EVP_MAC *mac);
        void (*ctx_free)(EVP_MAC_CTX *ctx);
        int (*mac_init)(EVP_MAC_CTX *ctx, const unsigned char *key, size_t keylen,
                        const OSSL_PARAM params[]);
        int (*mac_update)(EVP_MAC_CTX *ctx, const unsigned char *data, size_t datalen);
        int (*mac_final)(EVP_MAC_CTX *ctx, unsigned char *out, size_t *outl, size_t outsize);
};

static const struct dlib_symbol crypto_mac_symbols[] = {
        DLIB_SYMBOL(struct crypto_mac_lib, init_crypto, "OPENSSL_init_crypto"),
        DLIB_SYMBOL(struct crypto_mac_lib, mac_fetch, "EVP_MAC_fetch"),
        DLIB_SYMBOL(struct crypto_mac_lib, mac_free, "EVP_MAC_free"),
        DLIB_SYMBOL(struct crypto_mac_lib, ctx_new, "EVP_MAC_CTX_new"),
        DLIB_SYMBOL(struct crypto_mac_lib, ctx_free, "EVP_MAC_CTX_free"),
        DLIB_SYMBOL(struct crypto_mac_lib, mac_init, "EVP_MAC_init"),
        DLIB_SYMBOL(struct crypto_mac_lib, mac_update, "EVP_MAC_update"),
        DLIB_SYMBOL(struct crypto_mac_lib, mac_final, "EVP_MAC_final"),
};

static struct crypto_mac_lib crypto_mac;

static int crypto_mac_open(struct mc_error *err)
{
        static struct dlib_once once;
        if (dlib_open_once(&once, MCPCAGE_CRYPTO_SONAME, crypto_mac_symbols,
                           sizeof(crypto_mac_symbols) / sizeof(crypto_mac_symbols[0]), &crypto_mac, err) < 0)
                return -1;
        /* Not openssl.cnf, not every legacy cipher and digest name (what an implicit
         * initialisation registers): only the default provider's HMAC is fetched. OpenSSL
         * runs this once however often it is asked. Its tables are left to the exit (still
         * reachable; nothing of ours is held in them). */
        if (crypto_mac.init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                                   OPENSSL_INIT_NO_ADD_ALL_DIGESTS | OPENSSL_INIT_NO_ATEXIT, NULL) != 1)
                return mc_error_set(err, EIO, "%s: OPENSSL_init_crypto failed", MCPCAGE_CRYPTO_SONAME);
        return 0;
}

int chain_init(struct audit_chain *c, const struct audit_key *key, struct mc_error *err)
{
        *c = (struct audit_chain){ 0 };
        if (!key || !key->bytes)
                return 0;
        if (crypto_mac_open(err) < 0)
                return mc_error_prefix(err, "HMAC-SHA256 for audit.key");
        EVP_MAC *mac = crypto_mac.mac_fetch(NULL, "HMAC", NULL);
        c->mac_ctx = mac ? crypto_mac.ctx_new(mac) : NULL;
        crypto_mac.mac_free(mac);       /* the context holds its own reference */
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {
                OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                OSSL_PARAM_END,
        };
        if (!c->mac_ctx || crypto_mac.mac_init(c->mac_ctx, key->bytes, key->len, params) != 1) {
                chain_free(c);
                return mc_error_set(err, EIO, "cannot set up HMAC-SHA256 (%s)", MCPCAGE_CRYPTO_SONAME);
        }
        return 0;
}

void chain_free(struct audit_chain *c)
{
        if (c->mac_ctx)
                crypto_mac.ctx_free(c->mac_ctx);        /* cleanses the key it holds */
        *c = (struct audit_chain){ 0 };
}

static int digest_raw(struct audit_chain *c, const void *data, size_t len,
                      unsigned char md[static AUDIT_DIGEST_LEN])
{
        if (c->mac_ctx) {
                size_t out_len = 0;
                if (crypto_mac.mac_init(c->mac_ctx, NULL, 0, NULL) != 1 ||
                    crypto_mac.mac_update(c->mac_ctx, data, len) != 1 ||
                    crypto_mac.mac_final(c->mac_ctx, md, &out_len, AUDIT_DIGEST_LEN) != 1 ||
                    out_len != AUDIT_DIGEST_LEN)
                        return -EIO;
                return 0;
        }
        sha256(data, len, md);
        return 0;
}

int chain_digest(struct audit_chain *c, const void *data, size_t len,
                 char out[static AUDIT_DIGEST_HEX + 1])
{
        unsigned char md[AUDIT_DIGEST_LEN];
        int r = digest_raw(c, data, len, md);
        if (r < 0)
                return r;
        hex_encode(out, md, SHA256_LEN);
        return 0;
}
