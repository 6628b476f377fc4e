/* STUN (RFC 8489) for an ICE-lite agent (RFC 8445): parse, check integrity, build binding messages. */
#include "webrtc/stun.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "core/bytes.h"

#define ATTR_MAPPED_ADDRESS     0x0001
#define ATTR_USERNAME           0x0006
#define ATTR_MESSAGE_INTEGRITY  0x0008
#define ATTR_ERROR_CODE         0x0009
#define ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define ATTR_REALM              0x0014
#define ATTR_NONCE              0x0015
#define ATTR_XOR_MAPPED_ADDRESS 0x0020
#define ATTR_PRIORITY           0x0024
#define ATTR_USE_CANDIDATE      0x0025
#define ATTR_FINGERPRINT        0x8028
#define ATTR_ICE_CONTROLLED     0x8029
#define ATTR_ICE_CONTROLLING    0x802A

#define ATTR_HEADER_SIZE 4
#define HMAC_SHA1_SIZE   20
#define MI_ATTR_SIZE     (ATTR_HEADER_SIZE + HMAC_SHA1_SIZE)
#define FP_ATTR_SIZE     (ATTR_HEADER_SIZE + 4)
#define FINGERPRINT_XOR  0x5354554Eu
#define MAX_BODY_LEN     0xFFFFu
#define XOR_PAD_SIZE     16      /* magic cookie followed by the transaction id */
#define FAMILY_IPV4      0x01
#define FAMILY_IPV6      0x02
/* RFC 8489 14.3 and 14.8: USERNAME under 509 bytes, reason phrase at most 509 bytes. */
#define MAX_USERNAME_LEN 508
#define MAX_REASON_LEN   509

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* CRC-32 of ISO 3309 / ITU-T V.42 (reflected 0xEDB88320), four bits at a
 * time: a 16-entry table is plenty for messages of a few hundred bytes. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
    0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        c = (c >> 4) ^ crc_nibble[c & 0xF];
        c = (c >> 4) ^ crc_nibble[c & 0xF];
    }
    return c ^ 0xFFFFFFFFu;
}

static uint32_t fingerprint_of(const uint8_t *msg, size_t n)
{
    return crc32_ieee(msg, n) ^ FINGERPRINT_XOR;
}

/* Fetched once for the process: OpenSSL 3 looks an algorithm up by name,
 * under a lock, at every fetch, and every STUN check needs one. An EVP_MAC
 * is immutable, so threads share it. Never freed (it lives as long as the
 * library context). */
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac;

static void fetch_hmac(void)
{
    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* Header and body are fed separately so a checker can substitute an
 * adjusted header without copying the whole message. */
static bool hmac_sha1(const void *key, size_t key_len, const uint8_t *hdr,
                      const uint8_t *body, size_t body_len, uint8_t out[HMAC_SHA1_SIZE])
{
    pthread_once(&hmac_once, fetch_hmac);
    EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
        OSSL_PARAM_construct_end(),
    };
    size_t out_len = 0;
    bool ok = ctx && EVP_MAC_init(ctx, key, key_len, params)
        && EVP_MAC_update(ctx, hdr, STUN_HEADER_SIZE)
        && EVP_MAC_update(ctx, body, body_len)
        && EVP_MAC_final(ctx, out, &out_len, HMAC_SHA1_SIZE)
        && out_len == HMAC_SHA1_SIZE;
    EVP_MAC_CTX_free(ctx);
    return ok;
}

static void make_xor_pad(const uint8_t txid[STUN_TXID_SIZE], uint8_t pad[XOR_PAD_SIZE])
{
    be32_write(pad, STUN_MAGIC_COOKIE);
    memcpy(pad + 4, txid, STUN_TXID_SIZE);
}

bool stun_is_stun(const uint8_t *buf, size_t len)
{
    /* RFC 7983: 0..3 is STUN; 20..63 DTLS and 128..191 RTP/RTCP are not. */
    return buf && len >= STUN_HEADER_SIZE && buf[0] <= 3 && be32_read(buf + 4) == STUN_MAGIC_COOKIE;
}

static bool header_ok(const uint8_t *buf, size_t len)
{
    if (len < STUN_HEADER_SIZE || (buf[0] & 0xC0) != 0)
        return false;
    size_t body = be16_read(buf + 2);
    /* Attributes are 4-byte aligned, so an unaligned length is not STUN;
     * and a datagram carries exactly one message, nothing trailing. */
    return body % 4 == 0 && len == STUN_HEADER_SIZE + body
        && be32_read(buf + 4) == STUN_MAGIC_COOKIE;
}

static int attr_username(const uint8_t *v, uint16_t alen, stun_msg *msg)
{
    if (!msg->username) {
        msg->username = v;
        msg->username_len = alen;
    }
    return 0;
}

static int attr_integrity(size_t pos, uint16_t alen, stun_msg *msg)
{
    if (alen != HMAC_SHA1_SIZE)
        return -1;
    msg->has_integrity = true;
    msg->integrity_offset = pos;
    return 0;
}

static int attr_priority(const uint8_t *v, uint16_t alen, stun_msg *msg)
{
    if (alen != 4)
        return -1;
    if (!msg->has_priority) {
        msg->has_priority = true;
        msg->priority = be32_read(v);
    }
    return 0;
}

static int attr_use_candidate(uint16_t alen, stun_msg *msg)
{
    if (alen != 0)
        return -1;
    msg->use_candidate = true;
    return 0;
}

static int attr_ice_role(const uint8_t *v, uint16_t alen, bool controlling, stun_msg *msg)
{
    if (alen != 8)
        return -1;
    /* The first role attribute supplies the tiebreaker; a message carrying
     * both roles is left for the caller to refuse. */
    if (!msg->ice_controlling && !msg->ice_controlled)
        msg->tiebreaker = be64_read(v);
    if (controlling)
        msg->ice_controlling = true;
    else
        msg->ice_controlled = true;
    return 0;
}

static void decode_ipv4(const uint8_t *v, uint16_t port, stun_msg *msg)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(be32_read(v + 4) ^ STUN_MAGIC_COOKIE);
    memcpy(&msg->mapped, &sin, sizeof sin);
}

static void decode_ipv6(const uint8_t *v, uint16_t port, stun_msg *msg)
{
    uint8_t pad[XOR_PAD_SIZE];
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    make_xor_pad(msg->txid, pad);
    for (size_t i = 0; i < XOR_PAD_SIZE; i++)
        sin6.sin6_addr.s6_addr[i] = v[4 + i] ^ pad[i];
    memcpy(&msg->mapped, &sin6, sizeof sin6);
}

static int attr_xor_mapped(const uint8_t *v, uint16_t alen, stun_msg *msg)
{
    if (alen < 4)
        return -1;
    uint8_t family = v[1];
    if (!(family == FAMILY_IPV4 && alen == 8) && !(family == FAMILY_IPV6 && alen == 20))
        return -1;
    if (msg->has_mapped)
        return 0;
    uint16_t port = be16_read(v + 2) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16);
    if (family == FAMILY_IPV4)
        decode_ipv4(v, port, msg);
    else
        decode_ipv6(v, port, msg);
    msg->has_mapped = true;
    return 0;
}

static int attr_error_code(const uint8_t *v, uint16_t alen, stun_msg *msg)
{
    if (alen < 4)
        return -1;
    unsigned cls = v[2] & 0x07, number = v[3];
    if (cls < 3 || cls > 6 || number > 99)
        return -1;
    if (msg->error_code == 0)
        msg->error_code = (uint16_t)(cls * 100 + number);
    return 0;
}

static int attr_fingerprint(const uint8_t *buf, size_t pos, const uint8_t *v, uint16_t alen,
                            stun_msg *msg)
{
    /* The header length already counts FINGERPRINT, as it must be last:
     * the parse loop refuses anything after it. */
    if (alen != 4 || be32_read(v) != fingerprint_of(buf, pos))
        return -1;
    msg->has_fingerprint = true;
    return 0;
}

/* Comprehension-required attributes we recognise but have no use for. */
static bool known_ignored(uint16_t type)
{
    return type == ATTR_MAPPED_ADDRESS || type == ATTR_UNKNOWN_ATTRIBUTES
        || type == ATTR_REALM || type == ATTR_NONCE;
}

static int parse_attr(const uint8_t *buf, size_t pos, uint16_t type, uint16_t alen, stun_msg *msg)
{
    const uint8_t *v = buf + pos + ATTR_HEADER_SIZE;
    if (type == ATTR_FINGERPRINT)
        return attr_fingerprint(buf, pos, v, alen, msg);
    /* RFC 8489 14.5: what follows MESSAGE-INTEGRITY is not authenticated, so ignore it. */
    if (msg->has_integrity)
        return 0;
    switch (type) {
    case ATTR_USERNAME:           return attr_username(v, alen, msg);
    case ATTR_MESSAGE_INTEGRITY:  return attr_integrity(pos, alen, msg);
    case ATTR_ERROR_CODE:         return attr_error_code(v, alen, msg);
    case ATTR_XOR_MAPPED_ADDRESS: return attr_xor_mapped(v, alen, msg);
    case ATTR_PRIORITY:           return attr_priority(v, alen, msg);
    case ATTR_USE_CANDIDATE:      return attr_use_candidate(alen, msg);
    case ATTR_ICE_CONTROLLED:     return attr_ice_role(v, alen, false, msg);
    case ATTR_ICE_CONTROLLING:    return attr_ice_role(v, alen, true, msg);
    default:
        if (type < 0x8000 && !known_ignored(type))
            msg->unknown_required = true;
        return 0;
    }
}

int stun_parse(const uint8_t *buf, size_t len, stun_msg *msg)
{
    if (!buf || !msg)
        return -1;
    memset(msg, 0, sizeof *msg);
    if (!header_ok(buf, len))
        return -1;
    msg->type = be16_read(buf);
    msg->length = be16_read(buf + 2);
    memcpy(msg->txid, buf + 8, STUN_TXID_SIZE);
    /* pos and len are both multiples of 4, so pos < len leaves room for an attribute header. */
    for (size_t pos = STUN_HEADER_SIZE; pos < len;) {
        uint16_t type = be16_read(buf + pos), alen = be16_read(buf + pos + 2);
        if (msg->has_fingerprint || pad4(alen) > len - pos - ATTR_HEADER_SIZE)
            return -1;
        if (parse_attr(buf, pos, type, alen, msg) < 0)
            return -1;
        pos += ATTR_HEADER_SIZE + pad4(alen);
    }
    return 0;
}

/* msg is meant to come from stun_parse on buf, but a stale or foreign one
 * must still not steer reads outside buf. */
static bool integrity_offset_ok(const uint8_t *buf, size_t len, size_t off)
{
    return off >= STUN_HEADER_SIZE && off % 4 == 0 && off <= len && len - off >= MI_ATTR_SIZE
        && off + MI_ATTR_SIZE - STUN_HEADER_SIZE <= MAX_BODY_LEN
        && be16_read(buf + off) == ATTR_MESSAGE_INTEGRITY && be16_read(buf + off + 2) == HMAC_SHA1_SIZE;
}

bool stun_check_integrity(const uint8_t *buf, size_t len, const stun_msg *msg,
                          const void *key, size_t key_len)
{
    if (!buf || !msg || !key || key_len == 0 || !msg->has_integrity
        || !integrity_offset_ok(buf, len, msg->integrity_offset))
        return false;
    size_t off = msg->integrity_offset;
    /* The sender computed the MAC with the length ending at MESSAGE-INTEGRITY,
     * before it appended FINGERPRINT or anything else. */
    uint8_t hdr[STUN_HEADER_SIZE], mac[HMAC_SHA1_SIZE];
    memcpy(hdr, buf, STUN_HEADER_SIZE);
    be16_write(hdr + 2, (uint16_t)(off + MI_ATTR_SIZE - STUN_HEADER_SIZE));
    if (!hmac_sha1(key, key_len, hdr, buf + STUN_HEADER_SIZE, off - STUN_HEADER_SIZE, mac))
        return false;
    return CRYPTO_memcmp(mac, buf + off + ATTR_HEADER_SIZE, HMAC_SHA1_SIZE) == 0;
}

/* Output cursor whose failure is sticky, so builders check once at the end. */
typedef struct writer {
    uint8_t *out;
    size_t cap;
    size_t pos;
    bool ok;
} writer;

static writer writer_start(uint8_t *out, size_t cap, uint16_t type,
                           const uint8_t txid[STUN_TXID_SIZE])
{
    writer w = { out, cap, 0, out && txid && cap >= STUN_HEADER_SIZE };
    if (!w.ok)
        return w;
    be16_write(out, type);
    be16_write(out + 2, 0);
    be32_write(out + 4, STUN_MAGIC_COOKIE);
    memcpy(out + 8, txid, STUN_TXID_SIZE);
    w.pos = STUN_HEADER_SIZE;
    return w;
}

static bool writer_room(writer *w, size_t n)
{
    if (w->ok && (n > w->cap - w->pos || w->pos + n - STUN_HEADER_SIZE > MAX_BODY_LEN))
        w->ok = false;
    return w->ok;
}

static void put_attr(writer *w, uint16_t type, const void *val, size_t len)
{
    if (len > MAX_BODY_LEN || !writer_room(w, ATTR_HEADER_SIZE + pad4(len)))
        return;
    uint8_t *p = w->out + w->pos;
    be16_write(p, type);
    be16_write(p + 2, (uint16_t)len);
    if (len)
        memcpy(p + ATTR_HEADER_SIZE, val, len);
    /* Zero padding keeps our output deterministic. */
    memset(p + ATTR_HEADER_SIZE + len, 0, pad4(len) - len);
    w->pos += ATTR_HEADER_SIZE + pad4(len);
}

/* Both trailers are computed over a header whose length already counts them. */
static void set_length_with(writer *w, size_t trailer)
{
    be16_write(w->out + 2, (uint16_t)(w->pos + trailer - STUN_HEADER_SIZE));
}

static void put_integrity(writer *w, const void *key, size_t key_len)
{
    uint8_t mac[HMAC_SHA1_SIZE];
    if (!writer_room(w, MI_ATTR_SIZE))
        return;
    set_length_with(w, MI_ATTR_SIZE);
    if (!hmac_sha1(key, key_len, w->out, w->out + STUN_HEADER_SIZE,
                   w->pos - STUN_HEADER_SIZE, mac)) {
        w->ok = false;
        return;
    }
    put_attr(w, ATTR_MESSAGE_INTEGRITY, mac, sizeof mac);
}

static void put_fingerprint(writer *w)
{
    uint8_t crc[4];
    if (!writer_room(w, FP_ATTR_SIZE))
        return;
    set_length_with(w, FP_ATTR_SIZE);
    be32_write(crc, fingerprint_of(w->out, w->pos));
    put_attr(w, ATTR_FINGERPRINT, crc, sizeof crc);
}

static size_t writer_finish(const writer *w)
{
    return w->ok ? w->pos : 0;
}

/* Returns the attribute value length, 0 for a family STUN cannot carry. */
static size_t encode_xor_mapped(const struct sockaddr *sa, const uint8_t txid[STUN_TXID_SIZE],
                                uint8_t v[20])
{
    uint8_t pad[XOR_PAD_SIZE];
    make_xor_pad(txid, pad);
    v[0] = 0;
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in sin;
        memcpy(&sin, sa, sizeof sin);
        v[1] = FAMILY_IPV4;
        be16_write(v + 2, ntohs(sin.sin_port) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
        be32_write(v + 4, ntohl(sin.sin_addr.s_addr) ^ STUN_MAGIC_COOKIE);
        return 8;
    }
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 sin6;
        memcpy(&sin6, sa, sizeof sin6);
        v[1] = FAMILY_IPV6;
        be16_write(v + 2, ntohs(sin6.sin6_port) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
        for (size_t i = 0; i < XOR_PAD_SIZE; i++)
            v[4 + i] = sin6.sin6_addr.s6_addr[i] ^ pad[i];
        return 20;
    }
    return 0;
}

static bool key_ok(const void *key, size_t key_len)
{
    return key && key_len > 0;
}

size_t stun_build_binding_success(uint8_t *out, size_t cap, const uint8_t txid[STUN_TXID_SIZE],
                                  const struct sockaddr *mapped, const void *key, size_t key_len)
{
    uint8_t xma[20];
    size_t xma_len;
    if (!txid || !mapped || !key_ok(key, key_len) || !(xma_len = encode_xor_mapped(mapped, txid, xma)))
        return 0;
    writer w = writer_start(out, cap, STUN_BINDING_SUCCESS, txid);
    put_attr(&w, ATTR_XOR_MAPPED_ADDRESS, xma, xma_len);
    put_integrity(&w, key, key_len);
    put_fingerprint(&w);
    return writer_finish(&w);
}

size_t stun_build_binding_error(uint8_t *out, size_t cap, const uint8_t txid[STUN_TXID_SIZE],
                                uint16_t code, const char *reason, const void *key, size_t key_len)
{
    uint8_t ec[4 + MAX_REASON_LEN];
    const char *text = reason ? reason : "";
    size_t text_len = strnlen(text, MAX_REASON_LEN + 1);
    /* ERROR-CODE carries classes 3 to 6 only. */
    if (code < 300 || code > 699 || text_len > MAX_REASON_LEN || (key && key_len == 0))
        return 0;
    ec[0] = 0;
    ec[1] = 0;
    ec[2] = (uint8_t)(code / 100);
    ec[3] = (uint8_t)(code % 100);
    memcpy(ec + 4, text, text_len);
    writer w = writer_start(out, cap, STUN_BINDING_ERROR, txid);
    put_attr(&w, ATTR_ERROR_CODE, ec, 4 + text_len);
    if (key)
        put_integrity(&w, key, key_len);
    put_fingerprint(&w);
    return writer_finish(&w);
}

size_t stun_build_binding_request(uint8_t *out, size_t cap, const uint8_t txid[STUN_TXID_SIZE],
                                  const char *username, uint32_t priority, bool controlling,
                                  uint64_t tiebreaker, bool use_candidate,
                                  const void *key, size_t key_len)
{
    uint8_t prio[4], tie[8];
    size_t user_len = username ? strnlen(username, MAX_USERNAME_LEN + 1) : 0;
    if (!username || user_len > MAX_USERNAME_LEN || !key_ok(key, key_len))
        return 0;
    be32_write(prio, priority);
    be64_write(tie, tiebreaker);
    writer w = writer_start(out, cap, STUN_BINDING_REQUEST, txid);
    put_attr(&w, ATTR_USERNAME, username, user_len);
    put_attr(&w, ATTR_PRIORITY, prio, sizeof prio);
    put_attr(&w, controlling ? ATTR_ICE_CONTROLLING : ATTR_ICE_CONTROLLED, tie, sizeof tie);
    if (use_candidate)
        put_attr(&w, ATTR_USE_CANDIDATE, NULL, 0);
    put_integrity(&w, key, key_len);
    put_fingerprint(&w);
    return writer_finish(&w);
}
