/* The record chain: each record's `prev` is the digest of the previous record's exact line
 * (without its newline). Plain SHA-256 shows accidental damage and naive edits; anybody who
 * can write the file can recompute it after a forgery. With audit.key the digest is
 * HMAC-SHA256, which only the key holder can recompute, so an edit, deletion or insertion
 * shows even against an attacker who can write the log. */
#include "audit/audit-internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

int chain_digest(const struct audit_key *key, const void *data, size_t len,
                 char out[static AUDIT_DIGEST_HEX + 1])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;
        if (key && key->bytes) {
                if (key->len > INT_MAX)
                        return -EINVAL;
                if (!HMAC(EVP_sha256(), key->bytes, (int)key->len, data, len, md, &md_len))
                        return -EIO;
        } else if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1) {
                return -EIO;
        }
        if (md_len != AUDIT_DIGEST_LEN)
                return -EIO;
        for (unsigned int i = 0; i < md_len; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
        return 0;
}
