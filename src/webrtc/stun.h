/* STUN (RFC 8489) messages as ICE (RFC 8445) uses them: parsing, integrity
 * checking and building binding requests and responses. No allocation. */
#ifndef STOA_STUN_H
#define STOA_STUN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HEADER_SIZE 20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_TXID_SIZE 12

/* Message types (method | class bits). */
#define STUN_BINDING_REQUEST  0x0001
#define STUN_BINDING_SUCCESS  0x0101
#define STUN_BINDING_ERROR    0x0111
#define STUN_BINDING_INDICATION 0x0011

typedef struct stun_msg {
    uint16_t type;
    uint16_t length;                 /* body length from the header */
    uint8_t txid[STUN_TXID_SIZE];
    const uint8_t *username;         /* points into the parsed buffer; not NUL-terminated */
    size_t username_len;
    bool has_integrity;
    size_t integrity_offset;         /* offset of the MESSAGE-INTEGRITY attribute header */
    bool has_fingerprint;            /* present and verified (stun_parse rejects a bad one) */
    bool use_candidate;
    bool ice_controlling;
    bool ice_controlled;
    uint64_t tiebreaker;
    bool has_priority;
    uint32_t priority;
    bool has_mapped;                 /* XOR-MAPPED-ADDRESS, decoded */
    struct sockaddr_storage mapped;
    uint16_t error_code;             /* 0 when absent, else class*100+number */
    bool unknown_required;           /* a comprehension-required attribute we do not know */
} stun_msg;

/* True when buf looks like a STUN message: first byte 0..3 (RFC 7983),
 * length >= 20 and the magic cookie in place. Cheap; for demultiplexing. */
bool stun_is_stun(const uint8_t *buf, size_t len);

/* Parses buf into msg. Returns 0 on success, -1 when the message is malformed
 * (bad header, lengths that overrun, attributes after FINGERPRINT, a
 * FINGERPRINT that does not match). Never reads outside [buf, buf+len). */
int stun_parse(const uint8_t *buf, size_t len, stun_msg *msg);

/* Verifies MESSAGE-INTEGRITY (HMAC-SHA1, short-term credentials: key is the
 * password as given). False when absent or wrong. msg must come from
 * stun_parse on the same buf. */
bool stun_check_integrity(const uint8_t *buf, size_t len, const stun_msg *msg,
                          const void *key, size_t key_len);

/* Builds a Binding success response: XOR-MAPPED-ADDRESS of mapped,
 * MESSAGE-INTEGRITY with key, FINGERPRINT. Returns the length written,
 * or 0 when cap is too small. */
size_t stun_build_binding_success(uint8_t *out, size_t cap, const uint8_t txid[STUN_TXID_SIZE],
                                  const struct sockaddr *mapped, const void *key, size_t key_len);

/* Builds a Binding error response with ERROR-CODE (e.g. 400, 401, 487) and
 * FINGERPRINT; MESSAGE-INTEGRITY only when key is not NULL.
 * Returns the length written, or 0 when cap is too small. */
size_t stun_build_binding_error(uint8_t *out, size_t cap, const uint8_t txid[STUN_TXID_SIZE],
                                uint16_t code, const char *reason, const void *key, size_t key_len);

/* Builds a Binding request as an ICE agent sends it: USERNAME, PRIORITY,
 * ICE-CONTROLLING (with tiebreaker) or ICE-CONTROLLED, USE-CANDIDATE when
 * asked, MESSAGE-INTEGRITY with key, FINGERPRINT. Returns length or 0. */
size_t stun_build_binding_request(uint8_t *out, size_t cap, const uint8_t txid[STUN_TXID_SIZE],
                                  const char *username, uint32_t priority, bool controlling,
                                  uint64_t tiebreaker, bool use_candidate,
                                  const void *key, size_t key_len);

#endif
