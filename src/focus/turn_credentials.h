/* Time-limited TURN credentials in the manner of the TURN REST API
 * (draft-uberti-behave-turn-rest): username "<expiry>:<user>", password
 * base64(HMAC-SHA1(shared secret, username)). coturn checks them with
 * use-auth-secret and the same static-auth-secret. */
#ifndef STOA_TURN_CREDENTIALS_H
#define STOA_TURN_CREDENTIALS_H

#include <stddef.h>
#include <stdint.h>

#define TURN_USERNAME_MAX 96
#define TURN_PASSWORD_MAX 32   /* base64 of 20 bytes is 28 characters */

/* Writes the username for user, valid until expiry (Unix seconds), and its
 * password. Returns 0, or -1 when user does not fit or HMAC fails. */
int turn_credentials(const char *secret, const char *user, int64_t expiry,
                     char username[TURN_USERNAME_MAX], char password[TURN_PASSWORD_MAX]);

#endif
