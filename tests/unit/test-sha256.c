/* util/sha256: libcrypto's SHA256_* as mcpcage links them. The FIPS 180-2 examples pin the
 * algorithm; random inputs fed in random pieces are compared with libcrypto.so's one-shot
 * SHA256() (refcrypto.h), so a context that is wrongly sized, copied or finished shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refcrypto.h"
#include "tap.h"
#include "util/hex.h"
#include "util/sha256.h"

static void hex_of(const void *data, size_t n, char out[SHA256_HEX + 1])
{
        unsigned char md[SHA256_LEN];
        sha256(data, n, md);
        hex_encode(out, md, SHA256_LEN);
}

static void fips_examples(void)
{
        char hex[SHA256_HEX + 1];
        hex_of("", 0, hex);
        tap_is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty input");
        hex_of("abc", 3, hex);
        tap_is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "\"abc\"");
        const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        hex_of(two, strlen(two), hex);
        tap_is_str(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
                   "the 448-bit example (two blocks)");
        char *million = malloc(1000000);
        memset(million, 'a', 1000000);
        struct sha256 s;
        sha256_init(&s);
        for (size_t off = 0; off < 1000000; off += 1000)        /* in pieces, as the file hash reads */
                sha256_update(&s, million + off, 1000);
        unsigned char md[SHA256_LEN];
        sha256_final(&s, md);
        hex_encode(hex, md, SHA256_LEN);
        tap_is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
                   "one million 'a' in 1000-byte pieces");
        free(million);
        static const struct sha256 zero;
        tap_ok(!memcmp(&s, &zero, sizeof(s)), "sha256_final wipes the context");
}

/* Lengths around the 64-byte block and its 56-byte padding edge, and longer. */
static void random_pieces(void)
{
        unsigned char data[4096];
        size_t bad = 0, runs = 0;
        srand(7);       /* the same inputs every run */
        for (size_t len = 0; len < 300; len++) {
                for (int round = 0; round < 4; round++, runs++) {
                        for (size_t i = 0; i < len; i++)
                                data[i] = (unsigned char)rand();
                        struct sha256 s;
                        sha256_init(&s);
                        for (size_t off = 0; off < len;) {
                                size_t piece = (size_t)rand() % 70;
                                if (piece > len - off)
                                        piece = len - off;
                                sha256_update(&s, data + off, piece);
                                off += piece;
                        }
                        unsigned char md[SHA256_LEN];
                        sha256_final(&s, md);
                        char got[SHA256_HEX + 1], want[SHA256_HEX + 1];
                        hex_encode(got, md, SHA256_LEN);
                        ref_hex_digest(NULL, 0, data, len, want);
                        if (strcmp(got, want) && bad++ < 3)
                                printf("# length %zu: got %s want %s\n", len, got, want);
                }
        }
        tap_ok(bad == 0, "%zu inputs of 0-299 bytes in random pieces hash as libcrypto.so's SHA256()",
               runs);
}

int main(void)
{
        fips_examples();
        random_pieces();
        return tap_done();
}
