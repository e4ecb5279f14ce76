/* The record chain: each record's `prev` is the digest of the previous record's exact line
 * (without its newline). Plain SHA-256 shows accidental damage and naive edits; anybody who
 * can write the file can recompute it after a forgery. With audit.key the digest is
 * HMAC-SHA256, which only the key holder can recompute, so an edit, deletion or insertion
 * shows even against an attacker who can write the log.
 *
 * The digest runs once per relayed call, so the algorithm is fetched and the key set once,
 * at chain_init; each record only re-initialises the context (for HMAC that restores the
 * keyed state, it does not set the key again). */
#include "audit/audit-internal.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

int chain_init(struct audit_chain *c, const struct audit_key *key)
{
        *c = (struct audit_chain){ 0 };
        if (!key || !key->bytes) {
                c->md = EVP_MD_fetch(NULL, "SHA256", NULL);
                c->md_ctx = EVP_MD_CTX_new();
                if (!c->md || !c->md_ctx) {
                        chain_free(c);
                        return -ENOMEM;
                }
                return 0;
        }
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        c->mac_ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
        EVP_MAC_free(mac);      /* the context holds its own reference */
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                OSSL_PARAM_construct_end(),
        };
        if (!c->mac_ctx || EVP_MAC_init(c->mac_ctx, key->bytes, key->len, params) != 1) {
                chain_free(c);
                return -EIO;
        }
        return 0;
}

void chain_free(struct audit_chain *c)
{
        EVP_MD_CTX_free(c->md_ctx);
        EVP_MD_free(c->md);
        EVP_MAC_CTX_free(c->mac_ctx);   /* cleanses the key it holds */
        *c = (struct audit_chain){ 0 };
}

static int digest_raw(struct audit_chain *c, const void *data, size_t len,
                      unsigned char md[static AUDIT_DIGEST_LEN])
{
        if (c->mac_ctx) {
                size_t out_len = 0;
                if (EVP_MAC_init(c->mac_ctx, NULL, 0, NULL) != 1 ||
                    EVP_MAC_update(c->mac_ctx, data, len) != 1 ||
                    EVP_MAC_final(c->mac_ctx, md, &out_len, AUDIT_DIGEST_LEN) != 1 ||
                    out_len != AUDIT_DIGEST_LEN)
                        return -EIO;
                return 0;
        }
        if (!c->md_ctx)
                return -EINVAL;
        unsigned int out_len = 0;
        if (EVP_DigestInit_ex2(c->md_ctx, c->md, NULL) != 1 ||
            EVP_DigestUpdate(c->md_ctx, data, len) != 1 ||
            EVP_DigestFinal_ex(c->md_ctx, md, &out_len) != 1 || out_len != AUDIT_DIGEST_LEN)
                return -EIO;
        return 0;
}

int chain_digest(struct audit_chain *c, const void *data, size_t len,
                 char out[static AUDIT_DIGEST_HEX + 1])
{
        unsigned char md[AUDIT_DIGEST_LEN];
        int r = digest_raw(c, data, len, md);
        if (r < 0)
                return r;
        hex_encode(out, md, sizeof(md));
        return 0;
}
