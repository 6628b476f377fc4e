/* TURN REST API credentials: HMAC-SHA1 over "<expiry>:<user>", base64. */
#include "focus/turn_credentials.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

int turn_credentials(const char *secret, const char *user, int64_t expiry,
                     char username[TURN_USERNAME_MAX], char password[TURN_PASSWORD_MAX])
{
    int n = snprintf(username, TURN_USERNAME_MAX, "%" PRId64 ":%s", expiry, user);
    if (n < 0 || n >= TURN_USERNAME_MAX)
        return -1;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)username, (size_t)n, mac,
              &mac_len) || mac_len != 20)
        return -1;
    /* 20 bytes encode to 28 characters plus NUL. */
    EVP_EncodeBlock((unsigned char *)password, mac, (int)mac_len);
    return 0;
}
