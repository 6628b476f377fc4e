/* The control link's opening (docs/protocol.md §2, "The link"): the focus
 * challenges with a nonce, the bridge says hello with an HMAC over both
 * nonces and its identity, the focus welcomes it with an HMAC of its own or
 * refuses it with a reason. The shared secret never crosses the wire and a
 * hello recorded from one connection is worthless on the next (new nonce).
 * Builders return new JSON (NULL when out of memory); checkers never trust
 * the message and bound every field. */
#ifndef STOA_LINK_AUTH_H
#define STOA_LINK_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINK_PATH "/bridge"            /* the focus's WebSocket path for bridges */
#define LINK_SUBPROTOCOL "stoa-bridge"
#define LINK_VERSION 1                 /* major: a different one is refused */
#define LINK_MINOR 0                   /* minor: additions a peer may ignore */
#define LINK_NONCE_HEX 64              /* 32 random bytes in lowercase hex */
#define LINK_MAC_HEX 64                /* HMAC-SHA256 in lowercase hex */
#define LINK_SECRET_MIN 16
#define LINK_SECRET_MAX 1024
#define LINK_BRIDGE_ID_MAX 64          /* 1..64 of [A-Za-z0-9_.-] */
#define LINK_REGION_MAX 32
#define LINK_MAX_ADDRESSES 8
#define LINK_ADDRESS_MAX 46            /* INET6_ADDRSTRLEN */
#define LINK_MAX_MEDIA_PORTS 64
#define LINK_CAPACITY_MAX 100000
#define LINK_MESSAGE_MAX 256           /* a refusal's message, bytes */

typedef struct link_secret {
    unsigned char bytes[LINK_SECRET_MAX];
    size_t len;
} link_secret;

/* Reads the secret from a file, trailing whitespace (a newline) stripped.
 * Returns 0, or -1 with a reason in err: unreadable, shorter than
 * LINK_SECRET_MIN or longer than LINK_SECRET_MAX. */
int link_secret_load(const char *path, link_secret *out, char *err, size_t errlen);
/* From memory (tests, and the in-process link); same rules. */
int link_secret_set(link_secret *s, const void *bytes, size_t len);
/* Wipes it (OPENSSL_cleanse). */
void link_secret_clear(link_secret *s);

/* Writes a fresh random nonce. Returns 0, or -1 when the CSPRNG fails. */
int link_nonce(char out[LINK_NONCE_HEX + 1]);

/* {"type":"link-challenge","version":1,"nonce":N} */
json_t *link_challenge_new(const char *focus_nonce);
/* Takes the nonce out of a challenge. Returns 0, or -1 when msg is not a
 * well-formed challenge. */
int link_challenge_parse(const json_t *msg, char focus_nonce[LINK_NONCE_HEX + 1]);

/* What a bridge says of itself. */
typedef struct link_hello {
    int version, minor;
    char bridge[LINK_BRIDGE_ID_MAX + 1];
    char region[LINK_REGION_MAX + 1];          /* may be "" */
    int capacity;                              /* endpoints, 1..LINK_CAPACITY_MAX */
    char addresses[LINK_MAX_ADDRESSES][LINK_ADDRESS_MAX];   /* numeric IPv4/IPv6 */
    int n_addresses;                           /* 1.. */
    uint16_t media_ports[LINK_MAX_MEDIA_PORTS];   /* 1..65535 */
    int n_media_ports;                         /* 1.. */
    char nonce[LINK_NONCE_HEX + 1];            /* the bridge's */
} link_hello;

/* The bridge's hello for the focus's nonce: h's fields plus
 * mac = HMAC-SHA256(secret, "stoa-link-1\nhello\n" focus_nonce "\n"
 * h->nonce "\n" bridge "\n" region "\n") in hex. */
json_t *link_hello_new(const link_secret *s, const char *focus_nonce, const link_hello *h);

/* Why a hello or welcome was not accepted: the `reason` of `refused`. */
enum link_refusal {
    LINK_ACCEPTED = 0,
    LINK_BAD_HELLO,                /* "bad-hello": malformed or out of bounds */
    LINK_UNSUPPORTED_VERSION,      /* "unsupported-version": another major version */
    LINK_BAD_MAC,                  /* "bad-mac": not made with our secret for this nonce */
};
const char *link_refusal_name(enum link_refusal r);

/* Checks a hello against our secret and nonce (constant-time compare) and
 * fills out. Returns LINK_ACCEPTED or why not, with a sentence in message
 * (for the log and the refused message). */
enum link_refusal link_hello_check(const link_secret *s, const char *focus_nonce, const json_t *msg,
                                   link_hello *out, char *message, size_t message_len);

/* {"type":"welcome","heartbeat_ms":H,"mac":HMAC(secret, "stoa-link-1\nwelcome\n"
 * bridge_nonce "\n" focus_nonce "\n" bridge "\n")} */
json_t *link_welcome_new(const link_secret *s, const char *focus_nonce, const link_hello *h, int heartbeat_ms);
/* The bridge checks the focus's welcome: the focus knows the secret too.
 * Returns 0 and the heartbeat interval (100..10000 ms), or -1 with a
 * sentence in message. */
int link_welcome_check(const link_secret *s, const char *focus_nonce, const link_hello *h, const json_t *msg,
                       int *heartbeat_ms, char *message, size_t message_len);

/* {"type":"refused","reason":R,"message":M}; reason is one of the names of
 * enum link_refusal or "duplicate-bridge", "unexpected". */
json_t *link_refused_new(const char *reason, const char *message);

#endif
