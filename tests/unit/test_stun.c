/* Unit tests for the STUN module: RFC 5769 vectors, malformed input, builder round trips. */
#include "webrtc/stun.h"
#include "check.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

/* RFC 5769 2.1: Binding request, short-term credentials. */
static const uint8_t rfc_request[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42,
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x10, /* SOFTWARE */
    0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74,
    0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, /* PRIORITY */
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, /* ICE-CONTROLLED */
    0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20,
    0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY */
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e,
    0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2,
    0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf, /* FINGERPRINT */
};
enum { REQ_SOFTWARE = 20, REQ_PRIORITY = 40, REQ_ROLE = 48, REQ_USERNAME = 60,
       REQ_MI = 76, REQ_FP = 100 };

/* RFC 5769 2.2: Binding success, IPv4 192.0.2.1:32853. */
static const uint8_t rfc_response4[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42,
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, /* XOR-MAPPED-ADDRESS */
    0x00, 0x08, 0x00, 0x14,
    0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74,
    0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
    0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};
enum { RESP4_XMA = 36 };

/* RFC 5769 2.3: Binding success, IPv6 2001:db8:1234:5678:11:2233:4455:6677 port 32853. */
static const uint8_t rfc_response6[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42,
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47,
    0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
    0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84,
    0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
    0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};
enum { RESP6_XMA = 36 };

/* RFC 5769 2.4: Binding request, long-term credentials (USERNAME, NONCE, REALM). */
static const uint8_t rfc_request_lt[] = {
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42,
    0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e,
    0x00, 0x06, 0x00, 0x12,
    0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83,
    0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00,
    0x00, 0x15, 0x00, 0x1c,
    0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c,
    0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73, 0x41,
    0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00,
    0x00, 0x08, 0x00, 0x14,
    0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8,
    0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};

#define ATTR_USERNAME          0x0006
#define ATTR_MESSAGE_INTEGRITY 0x0008
#define ATTR_ERROR_CODE        0x0009
#define ATTR_REALM             0x0014
#define ATTR_XOR_MAPPED        0x0020
#define ATTR_PRIORITY          0x0024
#define ATTR_USE_CANDIDATE     0x0025
#define ATTR_SOFTWARE          0x8022
#define ATTR_FINGERPRINT       0x8028
#define ATTR_ICE_CONTROLLING   0x802A

static const char rfc_password[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t rfc_txid[STUN_TXID_SIZE] = {
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};

/* Independent bit-at-a-time CRC-32, so tests do not trust the module's own. */
static uint32_t ref_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* Rewrites the FINGERPRINT value at fp_off after a test has edited the message. */
static void refinger(uint8_t *m, size_t fp_off)
{
    put32(m + fp_off + 4, ref_crc32(m, fp_off) ^ 0x5354554Eu);
}

static bool is_stun_copy(const uint8_t *src, size_t n)
{
    uint8_t *m = malloc(n ? n : 1);
    memcpy(m, src, n);
    bool r = stun_is_stun(m, n);
    free(m);
    return r;
}

/* Parses from an exactly sized heap copy so ASan sees any overread. */
static int parse_copy(const uint8_t *src, size_t n, stun_msg *msg)
{
    uint8_t *m = malloc(n ? n : 1);
    memcpy(m, src, n);
    int r = stun_parse(m, n, msg);
    free(m);
    return r;
}

static void test_is_stun(void)
{
    const uint8_t rtp[24] = { 0x80, 0x60, 0x12, 0x34, 0x21, 0x12, 0xa4, 0x42 };
    const uint8_t dtls[24] = { 0x16, 0xfe, 0xfd, 0x00, 0x21, 0x12, 0xa4, 0x42 };
    uint8_t four[24] = { 0x04, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
    uint8_t nocookie[sizeof rfc_request];
    memcpy(nocookie, rfc_request, sizeof nocookie);
    nocookie[7] ^= 1;

    CHECK(stun_is_stun(rfc_request, sizeof rfc_request));
    CHECK(stun_is_stun(rfc_response4, sizeof rfc_response4));
    CHECK(stun_is_stun(rfc_response6, sizeof rfc_response6));
    CHECK(!stun_is_stun(rtp, sizeof rtp));
    CHECK(!stun_is_stun(dtls, sizeof dtls));
    CHECK(!stun_is_stun(four, sizeof four));
    four[0] = 3;
    CHECK(stun_is_stun(four, sizeof four));
    CHECK(!stun_is_stun(nocookie, sizeof nocookie));
    CHECK(!stun_is_stun(NULL, 20));
    for (size_t n = 0; n < STUN_HEADER_SIZE; n++)
        CHECK(!is_stun_copy(rfc_request, n));
    CHECK(is_stun_copy(rfc_request, STUN_HEADER_SIZE));
}

static void test_rfc_request(void)
{
    stun_msg m;
    CHECK_EQ_INT(stun_parse(rfc_request, sizeof rfc_request, &m), 0);
    CHECK_EQ_INT(m.type, STUN_BINDING_REQUEST);
    CHECK_EQ_INT(m.length, 0x58);
    CHECK_MEM(m.txid, rfc_txid, STUN_TXID_SIZE);
    CHECK_EQ_INT(m.username_len, 9);
    CHECK(m.username == rfc_request + REQ_USERNAME + 4);
    CHECK(m.username && memcmp(m.username, "evtj:h6vY", 9) == 0);
    CHECK(m.has_priority);
    CHECK_EQ_INT(m.priority, 0x6e0001ff);
    CHECK(m.ice_controlled);
    CHECK(!m.ice_controlling);
    CHECK(m.tiebreaker == 0x932ff9b151263b36ull);
    CHECK(!m.use_candidate);
    CHECK(m.has_integrity);
    CHECK_EQ_INT(m.integrity_offset, REQ_MI);
    CHECK(m.has_fingerprint);
    CHECK(!m.has_mapped);
    CHECK_EQ_INT(m.error_code, 0);
    CHECK(!m.unknown_required);

    CHECK(stun_check_integrity(rfc_request, sizeof rfc_request, &m, rfc_password, strlen(rfc_password)));
    CHECK(!stun_check_integrity(rfc_request, sizeof rfc_request, &m, "VOkJxbRl1RmTxUk/WvJxBT", 22));
    CHECK(!stun_check_integrity(rfc_request, sizeof rfc_request, &m, rfc_password, strlen(rfc_password) - 1));
    CHECK(!stun_check_integrity(rfc_request, sizeof rfc_request, &m, NULL, 0));
}

static void check_rfc_response(const uint8_t *buf, size_t len, size_t mi_off)
{
    stun_msg m;
    CHECK_EQ_INT(stun_parse(buf, len, &m), 0);
    CHECK_EQ_INT(m.type, STUN_BINDING_SUCCESS);
    CHECK_MEM(m.txid, rfc_txid, STUN_TXID_SIZE);
    CHECK(m.has_mapped);
    CHECK(m.has_integrity);
    CHECK_EQ_INT(m.integrity_offset, mi_off);
    CHECK(m.has_fingerprint);
    CHECK(m.username == NULL);
    CHECK(!m.unknown_required);
    CHECK(stun_check_integrity(buf, len, &m, rfc_password, strlen(rfc_password)));
    CHECK(!stun_check_integrity(buf, len, &m, "wrong", 5));
}

static void test_rfc_response4(void)
{
    stun_msg m;
    check_rfc_response(rfc_response4, sizeof rfc_response4, 48);
    CHECK_EQ_INT(stun_parse(rfc_response4, sizeof rfc_response4, &m), 0);
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&m.mapped;
    CHECK_EQ_INT(sin->sin_family, AF_INET);
    CHECK_EQ_INT(ntohs(sin->sin_port), 32853);
    CHECK_EQ_INT(ntohl(sin->sin_addr.s_addr), 0xC0000201); /* 192.0.2.1 */
}

static void test_rfc_response6(void)
{
    stun_msg m;
    struct in6_addr want;
    check_rfc_response(rfc_response6, sizeof rfc_response6, 60);
    CHECK_EQ_INT(stun_parse(rfc_response6, sizeof rfc_response6, &m), 0);
    CHECK_EQ_INT(inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &want), 1);
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&m.mapped;
    CHECK_EQ_INT(sin6->sin6_family, AF_INET6);
    CHECK_EQ_INT(ntohs(sin6->sin6_port), 32853);
    CHECK_MEM(&sin6->sin6_addr, &want, sizeof want);
}

/* Long-term key = MD5(username ":" realm ":" SASLprep(password)); RFC 5769 gives
 * the password after SASLprep as "TheMatrIX". */
static void test_rfc_request_long_term(void)
{
    static const char user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
    static const char input[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9"
                                ":example.org:TheMatrIX";
    uint8_t key[16];
    unsigned key_len = 0;
    stun_msg m;
    CHECK_EQ_INT(stun_parse(rfc_request_lt, sizeof rfc_request_lt, &m), 0);
    CHECK_EQ_INT(m.type, STUN_BINDING_REQUEST);
    CHECK_EQ_INT(m.username_len, 18);
    CHECK(m.username && memcmp(m.username, user, 18) == 0);
    CHECK(m.has_integrity);
    CHECK(!m.has_fingerprint);
    CHECK(!m.unknown_required); /* NONCE and REALM are known, merely unused */
    CHECK(EVP_Digest(input, strlen(input), key, &key_len, EVP_md5(), NULL) == 1);
    CHECK(stun_check_integrity(rfc_request_lt, sizeof rfc_request_lt, &m, key, key_len));
    CHECK(!stun_check_integrity(rfc_request_lt, sizeof rfc_request_lt, &m, rfc_password,
                                strlen(rfc_password)));
}

static void test_fingerprint_and_integrity_tamper(void)
{
    uint8_t b[sizeof rfc_request];
    stun_msg m;
    /* Any flipped byte covered by FINGERPRINT, or in it, must be caught. */
    for (size_t i = 0; i < sizeof b; i++) {
        if (i >= REQ_FP && i < REQ_FP + 4)
            continue; /* FINGERPRINT's own header: 0x8128 would just be an unknown optional attribute */
        memcpy(b, rfc_request, sizeof b);
        b[i] ^= 0x01;
        CHECK_EQ_INT(stun_parse(b, sizeof b, &m), -1);
    }
    /* With a fresh FINGERPRINT over the altered byte, only MESSAGE-INTEGRITY catches it. */
    memcpy(b, rfc_request, sizeof b);
    b[REQ_SOFTWARE + 4] ^= 0x20;
    refinger(b, REQ_FP);
    CHECK_EQ_INT(stun_parse(b, sizeof b, &m), 0);
    CHECK(m.has_fingerprint);
    CHECK(!stun_check_integrity(b, sizeof b, &m, rfc_password, strlen(rfc_password)));
    /* Same for the MAC bytes themselves. */
    memcpy(b, rfc_request, sizeof b);
    b[REQ_MI + 4 + 19] ^= 0x80;
    refinger(b, REQ_FP);
    CHECK_EQ_INT(stun_parse(b, sizeof b, &m), 0);
    CHECK(!stun_check_integrity(b, sizeof b, &m, rfc_password, strlen(rfc_password)));
}

static bool is_boundary(size_t n, const size_t *bounds, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (bounds[i] == n)
            return true;
    return false;
}

static void test_truncation(const uint8_t *src, size_t len, const size_t *bounds, size_t count)
{
    uint8_t b[256];
    stun_msg m;
    for (size_t n = 0; n < len; n++)
        CHECK_EQ_INT(parse_copy(src, n, &m), -1);
    /* With the header length patched to fit, the attribute walk itself must
     * accept exactly the cuts that fall between attributes. */
    for (size_t n = STUN_HEADER_SIZE; n < len; n += 4) {
        memcpy(b, src, n);
        put16(b + 2, (uint16_t)(n - STUN_HEADER_SIZE));
        int r = parse_copy(b, n, &m);
        CHECK_EQ_INT(r, is_boundary(n, bounds, count) ? 0 : -1);
        if (r == 0)
            CHECK(!m.has_fingerprint);
    }
}

static void test_truncations(void)
{
    const size_t req[] = { 20, REQ_PRIORITY, REQ_ROLE, REQ_USERNAME, REQ_MI, REQ_FP };
    const size_t r4[] = { 20, RESP4_XMA, RESP4_XMA + 12, RESP4_XMA + 36 };
    const size_t r6[] = { 20, RESP6_XMA, RESP6_XMA + 24, RESP6_XMA + 48 };
    const size_t lt[] = { 20, 44, 76, 92 };
    test_truncation(rfc_request, sizeof rfc_request, req, 6);
    test_truncation(rfc_response4, sizeof rfc_response4, r4, 4);
    test_truncation(rfc_response6, sizeof rfc_response6, r6, 4);
    test_truncation(rfc_request_lt, sizeof rfc_request_lt, lt, 4);
}


/* A header-only message that test cases grow with msg_add. */
static size_t msg_begin(uint8_t *b)
{
    memset(b, 0, STUN_HEADER_SIZE);
    put16(b, STUN_BINDING_REQUEST);
    put32(b + 4, STUN_MAGIC_COOKIE);
    memcpy(b + 8, rfc_txid, STUN_TXID_SIZE);
    return STUN_HEADER_SIZE;
}

/* Appends an attribute with zero padding and keeps the header length in step. */
static size_t msg_add(uint8_t *b, size_t n, uint16_t type, const void *val, uint16_t len)
{
    size_t padded = (len + 3u) & ~3u;
    put16(b + n, type);
    put16(b + n + 2, len);
    memset(b + n + 4, 0, padded);
    if (len)
        memcpy(b + n + 4, val, len);
    n += 4 + padded;
    put16(b + 2, (uint16_t)(n - STUN_HEADER_SIZE));
    return n;
}

/* Appends a FINGERPRINT that is right for the message as it then stands. */
static size_t msg_add_fingerprint(uint8_t *b, size_t n)
{
    const uint8_t zero[4] = { 0 };
    size_t fp = n;
    n = msg_add(b, n, ATTR_FINGERPRINT, zero, 4);
    refinger(b, fp);
    return n;
}

/* Header claiming one attribute of length alen in room body bytes, whatever alen says. */
static size_t one_attr(uint8_t *b, uint16_t type, uint16_t alen, size_t room)
{
    size_t n = msg_begin(b);
    memset(b + n, 0, 4 + room);
    put16(b + n, type);
    put16(b + n + 2, alen);
    n += 4 + room;
    put16(b + 2, (uint16_t)(n - STUN_HEADER_SIZE));
    return n;
}

static void test_header_errors(void)
{
    uint8_t b[32];
    stun_msg m;
    size_t n = msg_begin(b);
    CHECK_EQ_INT(parse_copy(b, n, &m), 0);
    CHECK_EQ_INT(m.type, STUN_BINDING_REQUEST);
    b[0] = 0x40;
    CHECK_EQ_INT(parse_copy(b, n, &m), -1); /* top type bits must be zero */
    b[0] = 0x80;
    CHECK_EQ_INT(parse_copy(b, n, &m), -1);
    msg_begin(b);
    b[5] ^= 0x01;
    CHECK_EQ_INT(parse_copy(b, n, &m), -1); /* magic cookie */
    msg_begin(b);
    put16(b + 2, 1);
    memset(b + 20, 0, 4);
    CHECK_EQ_INT(parse_copy(b, 21, &m), -1); /* unaligned length */
    put16(b + 2, 4);
    CHECK_EQ_INT(parse_copy(b, 20, &m), -1); /* length beyond the datagram */
    put16(b + 2, 0);
    CHECK_EQ_INT(parse_copy(b, 24, &m), -1); /* trailing bytes */
    CHECK_EQ_INT(stun_parse(NULL, 20, &m), -1);
    CHECK_EQ_INT(stun_parse(b, 20, NULL), -1);
}

static void test_attribute_overrun(void)
{
    uint8_t b[64];
    stun_msg m;
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_SOFTWARE, 8, 4), &m), -1);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_SOFTWARE, 0xFFFF, 4), &m), -1);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_SOFTWARE, 0xFFFD, 32), &m), -1);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_SOFTWARE, 5, 4), &m), -1); /* padding overruns */
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_SOFTWARE, 5, 8), &m), 0);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_SOFTWARE, 4, 4), &m), 0);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_USERNAME, 13, 12), &m), -1);
    memcpy(b + 24, "abcdefghijkl", 12);
    put16(b + 22, 12);
    CHECK_EQ_INT(stun_parse(b, 36, &m), 0);
    CHECK_EQ_INT(m.username_len, 12);
    CHECK(m.username == b + 24);
    /* The second attribute's header must fit too: an odd 2 bytes left is caught by alignment. */
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_SOFTWARE, 4, 6), &m), -1);
}

static void test_bad_known_attributes(void)
{
    uint8_t b[64];
    stun_msg m;
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_PRIORITY, 3, 4), &m), -1);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_PRIORITY, 8, 8), &m), -1);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_USE_CANDIDATE, 4, 4), &m), -1);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_ICE_CONTROLLING, 4, 4), &m), -1);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_MESSAGE_INTEGRITY, 16, 16), &m), -1);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_FINGERPRINT, 8, 8), &m), -1);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_XOR_MAPPED, 2, 4), &m), -1);
    size_t n = one_attr(b, ATTR_XOR_MAPPED, 8, 8);
    b[25] = 3;
    CHECK_EQ_INT(parse_copy(b, n, &m), -1); /* no such family */
    b[25] = 2;
    CHECK_EQ_INT(parse_copy(b, n, &m), -1); /* IPv6 needs 20 bytes */
    b[25] = 1;
    CHECK_EQ_INT(parse_copy(b, n, &m), 0);
    CHECK(m.has_mapped);
    n = one_attr(b, ATTR_XOR_MAPPED, 20, 20);
    b[25] = 1;
    CHECK_EQ_INT(parse_copy(b, n, &m), -1); /* IPv4 needs 8 */
    n = one_attr(b, ATTR_ERROR_CODE, 4, 4);
    b[26] = 2;
    CHECK_EQ_INT(parse_copy(b, n, &m), -1); /* class 2 is no error */
    b[26] = 4;
    b[27] = 100;
    CHECK_EQ_INT(parse_copy(b, n, &m), -1); /* number beyond 99 */
    b[27] = 87;
    CHECK_EQ_INT(parse_copy(b, n, &m), 0);
    CHECK_EQ_INT(m.error_code, 487);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_ERROR_CODE, 2, 4), &m), -1);
}

static void test_unknown_required(void)
{
    uint8_t b[64];
    stun_msg m;
    CHECK_EQ_INT(parse_copy(b, one_attr(b, 0x0003, 4, 4), &m), 0);
    CHECK(m.unknown_required);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, 0x7FFF, 0, 0), &m), 0);
    CHECK(m.unknown_required);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, 0x8003, 4, 4), &m), 0);
    CHECK(!m.unknown_required);
    CHECK_EQ_INT(parse_copy(b, one_attr(b, ATTR_REALM, 4, 4), &m), 0);
    CHECK(!m.unknown_required);
}

static void test_duplicates_first_wins(void)
{
    uint8_t b[64], v[4];
    stun_msg m;
    size_t n = msg_begin(b);
    put32(v, 111);
    n = msg_add(b, n, ATTR_PRIORITY, v, 4);
    put32(v, 222);
    n = msg_add(b, n, ATTR_PRIORITY, v, 4);
    n = msg_add(b, n, ATTR_USERNAME, "a:b", 3);
    n = msg_add(b, n, ATTR_USERNAME, "cc:dd", 5);
    CHECK_EQ_INT(parse_copy(b, n, &m), 0);
    CHECK_EQ_INT(m.priority, 111);
    CHECK_EQ_INT(m.username_len, 3);
}

static void test_nothing_after_fingerprint(void)
{
    uint8_t b[64];
    stun_msg m;
    size_t n = msg_add(b, msg_begin(b), ATTR_USERNAME, "abcd", 4);
    size_t fp = n;
    n = msg_add(b, n, ATTR_FINGERPRINT, "\0\0\0\0", 4);
    n = msg_add(b, n, ATTR_SOFTWARE, "soft", 4);
    refinger(b, fp); /* valid for the full length, so only the ordering is wrong */
    CHECK_EQ_INT(parse_copy(b, n, &m), -1);
    /* The same message without the trailer is fine. */
    n = msg_add_fingerprint(b, msg_add(b, msg_begin(b), ATTR_USERNAME, "abcd", 4));
    CHECK_EQ_INT(parse_copy(b, n, &m), 0);
    CHECK(m.has_fingerprint);
    /* Two FINGERPRINTs are one too many. */
    n = msg_add_fingerprint(b, n);
    CHECK_EQ_INT(parse_copy(b, n, &m), -1);
}

static void test_after_integrity_ignored(void)
{
    uint8_t b[160], v[4];
    stun_msg m;
    memcpy(b, rfc_request, REQ_FP);
    size_t n = REQ_FP;
    n = msg_add(b, n, ATTR_USE_CANDIDATE, NULL, 0);
    n = msg_add(b, n, 0x0003, "\1\2\3\4", 4);
    put32(v, 7);
    n = msg_add(b, n, ATTR_PRIORITY, v, 4);
    n = msg_add_fingerprint(b, n);
    CHECK_EQ_INT(parse_copy(b, n, &m), 0);
    CHECK(!m.use_candidate);
    CHECK(!m.unknown_required);
    CHECK_EQ_INT(m.priority, 0x6e0001ff);
    CHECK(m.has_fingerprint);
    /* Integrity still holds: the MAC's length field ends at MESSAGE-INTEGRITY. */
    CHECK(stun_check_integrity(b, n, &m, rfc_password, strlen(rfc_password)));
}

static void test_integrity_with_foreign_msg(void)
{
    stun_msg m, other;
    const size_t klen = strlen(rfc_password);
    CHECK_EQ_INT(stun_parse(rfc_request, sizeof rfc_request, &m), 0);
    CHECK_EQ_INT(stun_parse(rfc_response4, sizeof rfc_response4, &other), 0);
    /* other's offset lands on PRIORITY in the request: refused, not misread. */
    CHECK(!stun_check_integrity(rfc_request, sizeof rfc_request, &other, rfc_password, klen));
    stun_msg bad = m;
    bad.integrity_offset = sizeof rfc_request - 4;
    CHECK(!stun_check_integrity(rfc_request, sizeof rfc_request, &bad, rfc_password, klen));
    bad.integrity_offset = 100000;
    CHECK(!stun_check_integrity(rfc_request, sizeof rfc_request, &bad, rfc_password, klen));
    bad.integrity_offset = 3;
    CHECK(!stun_check_integrity(rfc_request, sizeof rfc_request, &bad, rfc_password, klen));
    bad = m;
    bad.has_integrity = false;
    CHECK(!stun_check_integrity(rfc_request, sizeof rfc_request, &bad, rfc_password, klen));
    CHECK(!stun_check_integrity(rfc_request, REQ_MI + 10, &m, rfc_password, klen));
    CHECK(!stun_check_integrity(NULL, sizeof rfc_request, &m, rfc_password, klen));
    CHECK(!stun_check_integrity(rfc_request, sizeof rfc_request, NULL, rfc_password, klen));
}

static struct sockaddr_in addr4(const char *ip, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static struct sockaddr_in6 addr6(const char *ip, uint16_t port)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return a;
}

static void test_build_success4(void)
{
    uint8_t out[128];
    stun_msg m;
    struct sockaddr_in a = addr4("192.0.2.1", 32853);
    size_t n = stun_build_binding_success(out, sizeof out, rfc_txid, (struct sockaddr *)&a,
                                          rfc_password, strlen(rfc_password));
    CHECK_EQ_INT(n, 20 + 12 + 24 + 8);
    /* Same txid and address as RFC 5769 2.2, so the same XOR-MAPPED-ADDRESS bytes. */
    CHECK_MEM(out + 20, rfc_response4 + RESP4_XMA, 12);
    CHECK_EQ_INT(stun_parse(out, n, &m), 0);
    CHECK_EQ_INT(m.type, STUN_BINDING_SUCCESS);
    CHECK_MEM(m.txid, rfc_txid, STUN_TXID_SIZE);
    CHECK(m.has_mapped);
    CHECK_MEM(&m.mapped, &a, sizeof a);
    CHECK(m.has_integrity);
    CHECK(m.has_fingerprint);
    CHECK(stun_check_integrity(out, n, &m, rfc_password, strlen(rfc_password)));
    CHECK(!stun_check_integrity(out, n, &m, "other", 5));
}

static void test_build_success6(void)
{
    uint8_t out[128];
    stun_msg m;
    struct sockaddr_in6 a = addr6("2001:db8:1234:5678:11:2233:4455:6677", 32853);
    size_t n = stun_build_binding_success(out, sizeof out, rfc_txid, (struct sockaddr *)&a,
                                          rfc_password, strlen(rfc_password));
    CHECK_EQ_INT(n, 20 + 24 + 24 + 8);
    CHECK_MEM(out + 20, rfc_response6 + RESP6_XMA, 24);
    CHECK_EQ_INT(stun_parse(out, n, &m), 0);
    CHECK(m.has_mapped);
    const struct sockaddr_in6 *got = (const struct sockaddr_in6 *)&m.mapped;
    CHECK_EQ_INT(got->sin6_family, AF_INET6);
    CHECK_EQ_INT(got->sin6_port, a.sin6_port);
    CHECK_MEM(&got->sin6_addr, &a.sin6_addr, sizeof a.sin6_addr);
    CHECK(stun_check_integrity(out, n, &m, rfc_password, strlen(rfc_password)));
}

static void test_build_error(void)
{
    uint8_t out[700];
    char long_reason[600];
    stun_msg m;
    size_t n = stun_build_binding_error(out, sizeof out, rfc_txid, 487, "Role Conflict", "pw", 2);
    CHECK_EQ_INT(n, 20 + 4 + 20 + 24 + 8);
    CHECK_MEM(out + 28, "Role Conflict", 13);
    CHECK_EQ_INT(stun_parse(out, n, &m), 0);
    CHECK_EQ_INT(m.type, STUN_BINDING_ERROR);
    CHECK_EQ_INT(m.error_code, 487);
    CHECK(m.has_integrity);
    CHECK(m.has_fingerprint);
    CHECK(stun_check_integrity(out, n, &m, "pw", 2));

    n = stun_build_binding_error(out, sizeof out, rfc_txid, 400, NULL, NULL, 0);
    CHECK_EQ_INT(n, 20 + 8 + 8);
    CHECK_EQ_INT(stun_parse(out, n, &m), 0);
    CHECK_EQ_INT(m.error_code, 400);
    CHECK(!m.has_integrity);
    CHECK(m.has_fingerprint);
    CHECK(!stun_check_integrity(out, n, &m, "pw", 2));

    n = stun_build_binding_error(out, sizeof out, rfc_txid, 401, "Unauthorized", NULL, 0);
    CHECK_EQ_INT(stun_parse(out, n, &m), 0);
    CHECK_EQ_INT(m.error_code, 401);

    CHECK_EQ_INT(stun_build_binding_error(out, sizeof out, rfc_txid, 299, "x", NULL, 0), 0);
    CHECK_EQ_INT(stun_build_binding_error(out, sizeof out, rfc_txid, 700, "x", NULL, 0), 0);
    CHECK_EQ_INT(stun_build_binding_error(out, sizeof out, rfc_txid, 400, "x", "pw", 0), 0);
    memset(long_reason, 'r', sizeof long_reason);
    long_reason[509] = '\0';
    CHECK(stun_build_binding_error(out, sizeof out, rfc_txid, 400, long_reason, NULL, 0) > 0);
    long_reason[509] = 'r';
    long_reason[510] = '\0';
    CHECK_EQ_INT(stun_build_binding_error(out, sizeof out, rfc_txid, 400, long_reason, NULL, 0), 0);
}

static void test_build_request(void)
{
    uint8_t out[700];
    char user[600];
    stun_msg m;
    const char *pw = "asd88fgpdd777uzjYhagZg";
    size_t n = stun_build_binding_request(out, sizeof out, rfc_txid, "abcd:efgh1", 0x7e7f00ff, true,
                                          0x0123456789abcdefull, true, pw, strlen(pw));
    CHECK_EQ_INT(n, 20 + 16 + 8 + 12 + 4 + 24 + 8);
    CHECK_EQ_INT(stun_parse(out, n, &m), 0);
    CHECK_EQ_INT(m.type, STUN_BINDING_REQUEST);
    CHECK_MEM(m.txid, rfc_txid, STUN_TXID_SIZE);
    CHECK_EQ_INT(m.username_len, 10);
    CHECK(m.username && memcmp(m.username, "abcd:efgh1", 10) == 0);
    CHECK(m.has_priority);
    CHECK_EQ_INT(m.priority, 0x7e7f00ff);
    CHECK(m.ice_controlling);
    CHECK(!m.ice_controlled);
    CHECK(m.tiebreaker == 0x0123456789abcdefull);
    CHECK(m.use_candidate);
    CHECK(m.has_fingerprint);
    CHECK(!m.unknown_required);
    CHECK(stun_check_integrity(out, n, &m, pw, strlen(pw)));
    CHECK(!stun_check_integrity(out, n, &m, rfc_password, strlen(rfc_password)));

    n = stun_build_binding_request(out, sizeof out, rfc_txid, "x:y", 1, false, UINT64_MAX, false,
                                   pw, strlen(pw));
    CHECK_EQ_INT(n, 20 + 8 + 8 + 12 + 24 + 8);
    CHECK_EQ_INT(stun_parse(out, n, &m), 0);
    CHECK(m.ice_controlled);
    CHECK(!m.ice_controlling);
    CHECK(m.tiebreaker == UINT64_MAX);
    CHECK(!m.use_candidate);
    CHECK(stun_check_integrity(out, n, &m, pw, strlen(pw)));

    memset(user, 'u', sizeof user);
    user[508] = '\0';
    CHECK(stun_build_binding_request(out, sizeof out, rfc_txid, user, 1, true, 1, false, pw, 3) > 0);
    user[508] = 'u';
    user[509] = '\0';
    CHECK_EQ_INT(stun_build_binding_request(out, sizeof out, rfc_txid, user, 1, true, 1, false, pw, 3), 0);
}

static void test_build_bad_args(void)
{
    uint8_t out[128];
    struct sockaddr_in a = addr4("10.0.0.1", 9);
    struct sockaddr un = { .sa_family = AF_UNIX };
    CHECK_EQ_INT(stun_build_binding_success(out, sizeof out, rfc_txid, NULL, "k", 1), 0);
    CHECK_EQ_INT(stun_build_binding_success(out, sizeof out, rfc_txid, &un, "k", 1), 0);
    CHECK_EQ_INT(stun_build_binding_success(out, sizeof out, rfc_txid, (struct sockaddr *)&a, NULL, 0), 0);
    CHECK_EQ_INT(stun_build_binding_success(NULL, sizeof out, rfc_txid, (struct sockaddr *)&a, "k", 1), 0);
    CHECK_EQ_INT(stun_build_binding_success(out, sizeof out, NULL, (struct sockaddr *)&a, "k", 1), 0);
    CHECK_EQ_INT(stun_build_binding_request(out, sizeof out, rfc_txid, NULL, 1, true, 1, false, "k", 1), 0);
    CHECK_EQ_INT(stun_build_binding_request(out, sizeof out, rfc_txid, "a:b", 1, true, 1, false, NULL, 0), 0);
    CHECK_EQ_INT(stun_build_binding_error(out, sizeof out, NULL, 400, "x", NULL, 0), 0);
}

enum { BUILD_SUCCESS, BUILD_ERROR, BUILD_REQUEST, BUILD_KINDS };

static size_t build_kind(int kind, uint8_t *out, size_t cap)
{
    struct sockaddr_in6 a = addr6("2001:db8::1", 4000);
    switch (kind) {
    case BUILD_SUCCESS:
        return stun_build_binding_success(out, cap, rfc_txid, (struct sockaddr *)&a, "key", 3);
    case BUILD_ERROR:
        return stun_build_binding_error(out, cap, rfc_txid, 487, "Role Conflict", "key", 3);
    default:
        return stun_build_binding_request(out, cap, rfc_txid, "ab:cd", 5, true, 6, true, "key", 3);
    }
}

/* Every capacity short of the need fails without writing past it. */
static void test_build_capacity(void)
{
    uint8_t full[256], guard[256 + 8];
    for (int kind = 0; kind < BUILD_KINDS; kind++) {
        size_t need = build_kind(kind, full, sizeof full);
        CHECK(need > 0);
        for (size_t cap = 0; cap < need; cap++) {
            memset(guard, 0xAA, sizeof guard);
            CHECK_EQ_INT(build_kind(kind, guard, cap), 0);
            size_t clean = cap;
            while (clean < sizeof guard && guard[clean] == 0xAA)
                clean++;
            CHECK_EQ_INT(clean, sizeof guard);
            uint8_t *exact = malloc(cap ? cap : 1);
            CHECK_EQ_INT(build_kind(kind, exact, cap), 0);
            free(exact);
        }
        uint8_t *exact = malloc(need);
        CHECK_EQ_INT(build_kind(kind, exact, need), need);
        CHECK_MEM(exact, full, need);
        free(exact);
    }
}

int main(void)
{
    test_is_stun();
    test_rfc_request();
    test_rfc_response4();
    test_rfc_response6();
    test_rfc_request_long_term();
    test_fingerprint_and_integrity_tamper();
    test_truncations();
    test_header_errors();
    test_attribute_overrun();
    test_bad_known_attributes();
    test_unknown_required();
    test_duplicates_first_wins();
    test_nothing_after_fingerprint();
    test_after_integrity_ignored();
    test_integrity_with_foreign_msg();
    test_build_success4();
    test_build_success6();
    test_build_error();
    test_build_request();
    test_build_bad_args();
    test_build_capacity();
    return check_report("stun");
}
