/* Random values from OpenSSL's DRBG, which is thread-safe. */
#include "core/random.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

void random_bytes(void *buf, size_t n)
{
    if (RAND_bytes(buf, (int)n) != 1) {
        fprintf(stderr, "RAND_bytes failed\n");
        abort();
    }
}

uint32_t random_u32(void)
{
    uint32_t v;
    random_bytes(&v, sizeof v);
    return v;
}

static void random_from_alphabet(char *out, size_t n, const char *alphabet, unsigned size)
{
    unsigned char raw[256];
    while (n > 0) {
        size_t chunk = n < sizeof raw ? n : sizeof raw;
        random_bytes(raw, chunk);
        for (size_t i = 0; i < chunk; i++)
            *out++ = alphabet[raw[i] % size];
        n -= chunk;
    }
    *out = '\0';
}

void random_ice_chars(char *out, size_t n)
{
    /* 64 symbols: the modulo introduces no bias. */
    random_from_alphabet(out, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 64);
}

void random_hex(char *out, size_t n)
{
    random_from_alphabet(out, n, "0123456789abcdef", 16);
}
