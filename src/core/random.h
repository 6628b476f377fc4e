/* Cryptographically strong random values (OpenSSL's DRBG). */
#ifndef STOA_RANDOM_H
#define STOA_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Fills buf with n random bytes; aborts if the DRBG fails (nothing sane to do then). */
void random_bytes(void *buf, size_t n);
uint32_t random_u32(void);
/* Writes n random characters from [A-Za-z0-9+/] and a terminating NUL into out
 * (which holds n + 1 bytes): the ICE ufrag/pwd alphabet of RFC 8839. */
void random_ice_chars(char *out, size_t n);
/* Writes n random lowercase hex digits and a NUL into out (n + 1 bytes). */
void random_hex(char *out, size_t n);

#endif
