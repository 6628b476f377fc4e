/* Loopback integration test of the bridge: C test peers on 127.0.0.1 speak
 * STUN, DTLS, SRTP and SRTCP to a real bridge (two media workers), driven by
 * the bridge-control messages of docs/protocol.md section 2, the way a
 * browser and the focus would. No browser involved.
 *
 * The test thread plays the focus's control thread: every wait pumps the
 * peers' sockets and calls bridge_poll, and every wait has a deadline.
 * Two scenarios guard fixed use-after-free bugs in the worker: run under
 * ASan, they would report them again. Later ones check Last-N
 * (constraints, forwarded) with four peers in a conference of their own,
 * simulcast, and relays, the test playing the far bridge of a relay. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "bridge/bridge.h"
#include "bridge/ice_lite.h"
#include "core/log.h"
#include "core/random.h"
#include "webrtc/dtls.h"
#include "webrtc/rtcp.h"
#include "webrtc/rtp.h"
#include "webrtc/rtx.h"
#include "webrtc/sdp.h"
#include "webrtc/srtp.h"
#include "webrtc/stun.h"

#define CONSENT_MS 1500
#define SHARD_LIMIT 16             /* participants on one worker before a conference spreads */
#define REMB_BPS 1000000
#define CHECK_INTERVAL_MS 400          /* consent refresh by the test peers */

#define SSRC_A_AUDIO 0x11111111u
#define SSRC_A_VIDEO 0x22222222u
#define SSRC_B_AUDIO 0x33333333u
#define SSRC_UNDECLARED 0x44444444u
#define PT_OPUS 111
#define PT_VP8 96
#define EXT_AUDIO_LEVEL 1
#define EXT_TWCC 3
#define EXT_MID 4

#define PKT_MAX 2048
#define MAX_PEERS 16
#define HOST_PRIORITY 2130706431       /* 126 << 24 | 65535 << 8 | 255 */

/* ------------------------------------------------------------------ */
/* Small utilities                                                     */
/* ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t rd32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }

/* A reproducible generator for the garbage datagrams (the seed is printed). */
static uint64_t rng_state;

static uint32_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static const char *jstr(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static bool ice_chars(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '+' || *s == '/'))
            return false;
    return true;
}

static int udp_socket_on_loopback(struct sockaddr_in *bound)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        close(fd);
        return -1;
    }
    if (bound)
        *bound = a;
    return fd;
}

/* ------------------------------------------------------------------ */
/* Received datagrams                                                  */
/* ------------------------------------------------------------------ */

typedef struct packet {
    uint8_t data[PKT_MAX];
    size_t len;
    int64_t at_ms;
} packet;

typedef struct inbox {
    packet *items;
    size_t n, cap;
} inbox;

static void inbox_push(inbox *in, const uint8_t *data, size_t len)
{
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 16;
        packet *items = realloc(in->items, cap * sizeof *items);
        if (!items)
            return;
        in->items = items;
        in->cap = cap;
    }
    packet *p = &in->items[in->n++];
    memcpy(p->data, data, len);
    p->len = len;
    p->at_ms = now_ms();
}

static void inbox_clear(inbox *in)
{
    in->n = 0;
}

static void inbox_free(inbox *in)
{
    free(in->items);
    in->items = NULL;
    in->n = in->cap = 0;
}

/* ------------------------------------------------------------------ */
/* Test peers and the harness                                          */
/* ------------------------------------------------------------------ */

typedef struct peer {
    const char *id;
    const char *conference;
    int fd;
    struct sockaddr_in self;           /* our address as the bridge sees it */
    struct sockaddr_in bridge;         /* the bridge's candidate */
    char ufrag[9], pwd[25];            /* our ICE credentials */
    char bridge_ufrag[64], bridge_pwd[128], bridge_fingerprint[128];
    dtls_ctx *ctx;                     /* our certificate */
    dtls_conn *dtls;                   /* DTLS client */
    stoa_srtp srtp;
    bool srtp_ready;
    int srtp_profile;
    bool keepalive;                    /* send consent checks */
    int64_t next_check_ms;
    int64_t last_check_ms;             /* when the last valid check was sent */
    bool silent;                       /* ignore DTLS timers (the bridge forgot us) */
    inbox stun, rtp, rtcp;             /* received, RTP and RTCP decrypted */
    int undecryptable, unexpected, stray;
    int unsolicited_dtls;              /* DTLS while we run no handshake */
    uint32_t lose_ssrc;                /* simulated network loss: the next RTP packet */
    int lose_seq;                      /* with this SSRC and seq is discarded (-1: none) */
} peer;

typedef struct message {
    json_t *json;
    int64_t at_ms;
    bool taken;
} message;

typedef struct harness {
    bridge *b;
    uint16_t port;                     /* worker 0; worker 1 is port + 1 */
    atomic_bool woken;
    atomic_int wakes;
    message *msgs;
    size_t n_msgs, cap_msgs;
    peer *peers[MAX_PEERS];
    int n_peers;
    json_int_t next_id;
    bool media_ok;                     /* A and B connected: media scenarios can run */
    uint16_t a_seq;                    /* next sequence numbers A uses */
    uint16_t a_max_audio_seq;          /* highest audio seq A sent while declared */
    uint16_t a_video_seq;
    uint32_t bridge_ssrc_a;            /* the bridge's RTCP SSRC towards A */
} harness;

static void on_emit(void *user, json_t *msg)
{
    harness *h = user;
    if (h->n_msgs == h->cap_msgs) {
        size_t cap = h->cap_msgs ? h->cap_msgs * 2 : 32;
        message *m = realloc(h->msgs, cap * sizeof *m);
        if (!m) {
            json_decref(msg);
            return;
        }
        h->msgs = m;
        h->cap_msgs = cap;
    }
    h->msgs[h->n_msgs++] = (message){ .json = msg, .at_ms = now_ms() };
}

static void on_wake(void *user)
{
    harness *h = user;
    atomic_fetch_add(&h->wakes, 1);
    atomic_store(&h->woken, true);
}

static void peer_send_raw(const peer *p, const void *data, size_t len)
{
    (void)sendto(p->fd, data, len, 0, (const struct sockaddr *)&p->bridge, sizeof p->bridge);
}

static void peer_dtls_send(void *user, const uint8_t *data, size_t len)
{
    peer_send_raw(user, data, len);
}

/* Builds a Binding request as a controlling browser agent sends it, to the
 * bridge's ufrag with p's own. */
#define CHECK_PRIORITY 0x6E7FFFFFu   /* a peer-reflexive UDP candidate's */

static size_t build_check_with(const peer *p, const char *bridge_ufrag, uint32_t priority, uint8_t *out, size_t cap,
                               const char *pwd, bool use_candidate, uint8_t txid[STUN_TXID_SIZE])
{
    char username[200];
    snprintf(username, sizeof username, "%s:%s", bridge_ufrag, p->ufrag);
    random_bytes(txid, STUN_TXID_SIZE);
    return stun_build_binding_request(out, cap, txid, username, priority, true, 0x0123456789ABCDEFull,
                                      use_candidate, pwd, strlen(pwd));
}

static size_t build_check_to(const peer *p, const char *bridge_ufrag, uint8_t *out, size_t cap,
                             const char *pwd, bool use_candidate, uint8_t txid[STUN_TXID_SIZE])
{
    return build_check_with(p, bridge_ufrag, CHECK_PRIORITY, out, cap, pwd, use_candidate, txid);
}

static size_t build_check(const peer *p, uint8_t *out, size_t cap, const char *pwd, bool use_candidate,
                          uint8_t txid[STUN_TXID_SIZE])
{
    return build_check_to(p, p->bridge_ufrag, out, cap, pwd, use_candidate, txid);
}

static void peer_send_check(peer *p, const char *pwd, bool use_candidate, uint8_t txid[STUN_TXID_SIZE])
{
    uint8_t buf[512];
    size_t n = build_check(p, buf, sizeof buf, pwd, use_candidate, txid);
    CHECK(n > 0);
    peer_send_raw(p, buf, n);
    if (strcmp(pwd, p->bridge_pwd) == 0)
        p->last_check_ms = now_ms();
}

static void peer_receive(peer *p, uint8_t *buf, size_t len)
{
    uint8_t first = buf[0];
    if (first < 4) {
        inbox_push(&p->stun, buf, len);
    } else if (first >= 20 && first < 64) {
        if (!p->dtls) {
            p->unsolicited_dtls++;
            return;
        }
        enum dtls_state st = dtls_conn_input(p->dtls, buf, len);
        if (st == DTLS_CONNECTED && !p->srtp_ready) {
            stoa_srtp_keys keys;
            if (dtls_conn_srtp_keys(p->dtls, &keys) == 0 && stoa_srtp_init(&p->srtp, &keys) == 0) {
                p->srtp_ready = true;
                p->srtp_profile = keys.profile;
            }
        }
    } else if (first >= 128 && first < 192 && p->srtp_ready) {
        if (!rtp_is_rtcp(buf, len) && len >= 12 && p->lose_seq >= 0 && rd32(buf + 8) == p->lose_ssrc &&
            rd16(buf + 2) == (uint16_t)p->lose_seq) {
            p->lose_seq = -1;   /* lost on the way: never decrypted */
            return;
        }
        if (rtp_is_rtcp(buf, len)) {
            if (stoa_srtp_unprotect_rtcp(&p->srtp, buf, &len) == 0)
                inbox_push(&p->rtcp, buf, len);
            else
                p->undecryptable++;
        } else if (stoa_srtp_unprotect_rtp(&p->srtp, buf, &len) == 0) {
            inbox_push(&p->rtp, buf, len);
        } else {
            p->undecryptable++;
        }
    } else {
        p->unexpected++;
    }
}

/* Reads what arrived, runs the DTLS timer and the consent checks. */
static void peer_service(peer *p)
{
    for (;;) {
        uint8_t buf[PKT_MAX];
        struct sockaddr_in from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(p->fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
        if (n < 0)
            break;
        if (n == 0)
            continue;
        /* Everything must come from the candidate we were given. */
        if (from.sin_addr.s_addr != p->bridge.sin_addr.s_addr || from.sin_port != p->bridge.sin_port)
            p->stray++;
        peer_receive(p, buf, (size_t)n);
    }
    if (p->dtls && !p->silent && dtls_conn_state(p->dtls) == DTLS_HANDSHAKING &&
        dtls_conn_timeout_ms(p->dtls) == 0)
        dtls_conn_handle_timeout(p->dtls);
    int64_t now = now_ms();
    if (p->keepalive && now >= p->next_check_ms) {
        uint8_t txid[STUN_TXID_SIZE];
        peer_send_check(p, p->bridge_pwd, false, txid);
        p->next_check_ms = now + CHECK_INTERVAL_MS;
    }
}

/* One turn of the loop: wait up to timeout_ms for a datagram, service the
 * peers, deliver the bridge's events. */
static void pump_once(harness *h, int timeout_ms)
{
    struct pollfd fds[MAX_PEERS];
    for (int i = 0; i < h->n_peers; i++)
        fds[i] = (struct pollfd){ .fd = h->peers[i]->fd, .events = POLLIN };
    (void)poll(fds, (nfds_t)h->n_peers, timeout_ms);
    for (int i = 0; i < h->n_peers; i++)
        peer_service(h->peers[i]);
    if (atomic_exchange(&h->woken, false))
        bridge_poll(h->b);
}

static void pump(harness *h, int ms)
{
    int64_t end = now_ms() + ms;
    do
        pump_once(h, 2);
    while (now_ms() < end);
}

/* Pumps until cond holds or ms pass; ok tells which. */
#define WAIT_FOR(h, ok, cond, ms) do { \
    int64_t wait_end_ = now_ms() + (ms); \
    for (;;) { \
        if (cond) { (ok) = true; break; } \
        if (now_ms() >= wait_end_) { (ok) = false; break; } \
        pump_once((h), 2); \
    } \
} while (0)

static peer *peer_new(harness *h, const char *id, const char *conference)
{
    peer *p = calloc(1, sizeof *p);
    if (p)
        p->lose_seq = -1;
    if (!p)
        return NULL;
    p->id = id;
    p->conference = conference;
    p->fd = udp_socket_on_loopback(&p->self);
    random_ice_chars(p->ufrag, 8);
    random_ice_chars(p->pwd, 24);
    p->ctx = dtls_ctx_new();
    if (p->fd < 0 || !p->ctx || h->n_peers == MAX_PEERS) {
        if (p->fd >= 0)
            close(p->fd);
        dtls_ctx_free(p->ctx);
        free(p);
        return NULL;
    }
    h->peers[h->n_peers++] = p;
    return p;
}

static void peer_free(peer *p)
{
    if (p->srtp_ready)
        stoa_srtp_free(&p->srtp);
    dtls_conn_free(p->dtls);
    dtls_ctx_free(p->ctx);
    close(p->fd);
    inbox_free(&p->stun);
    inbox_free(&p->rtp);
    inbox_free(&p->rtcp);
    free(p);
}

/* ------------------------------------------------------------------ */
/* Control messages                                                    */
/* ------------------------------------------------------------------ */

/* Hands a request to the bridge and returns its response (borrowed; the
 * harness keeps it). The response must be emitted during the call. */
static json_t *request(harness *h, json_t *req)
{
    size_t before = h->n_msgs;
    bridge_handle(h->b, req);
    CHECK_EQ_INT(h->n_msgs - before, 1);
    if (h->n_msgs == before)
        return NULL;
    h->msgs[before].taken = true;
    return h->msgs[before].json;
}

static json_t *simple_request(harness *h, const char *type, json_int_t id, const char *conference,
                              const char *endpoint)
{
    return request(h, json_pack("{s:s, s:I, s:s, s:s}", "type", type, "id", id, "conference", conference,
                                "endpoint", endpoint));
}

static json_t *configure(harness *h, peer *p, json_int_t id, const char *fingerprint, json_t *sources)
{
    return request(h, json_pack("{s:s, s:I, s:s, s:s, s:{s:s, s:s}, s:{s:s}, s:o}", "type", "configure",
                                "id", id, "conference", p->conference, "endpoint", p->id, "ice", "ufrag",
                                p->ufrag, "pwd", p->pwd, "dtls", "fingerprint", fingerprint, "sources",
                                sources));
}

static json_t *sources_a(void)
{
    return json_pack("[{s:I, s:s}, {s:I, s:s}]", "ssrc", (json_int_t)SSRC_A_AUDIO, "kind", "audio", "ssrc",
                     (json_int_t)SSRC_A_VIDEO, "kind", "video");
}

static json_t *sources_b(void)
{
    return json_pack("[{s:I, s:s}]", "ssrc", (json_int_t)SSRC_B_AUDIO, "kind", "audio");
}

static bool is_response(json_t *resp, const char *type, json_int_t id)
{
    return resp && jstr(resp, "type") && strcmp(jstr(resp, "type"), type) == 0 &&
           json_integer_value(json_object_get(resp, "id")) == id;
}

static const char *error_code(json_t *resp)
{
    return resp && jstr(resp, "type") && strcmp(jstr(resp, "type"), "error") == 0 ? jstr(resp, "code") : NULL;
}

/* The first event of that type about that endpoint not looked at yet. */
static message *find_event(harness *h, const char *type, const char *endpoint)
{
    for (size_t i = 0; i < h->n_msgs; i++) {
        message *m = &h->msgs[i];
        const char *t = jstr(m->json, "type"), *e = jstr(m->json, "endpoint");
        if (!m->taken && t && e && strcmp(t, type) == 0 && strcmp(e, endpoint) == 0)
            return m;
    }
    return NULL;
}

static message *wait_event(harness *h, const char *type, const char *endpoint, int ms)
{
    bool ok;
    WAIT_FOR(h, ok, find_event(h, type, endpoint) != NULL, ms);
    message *m = ok ? find_event(h, type, endpoint) : NULL;
    if (m)
        m->taken = true;
    return m;
}

/* Allocates p's endpoint and records the bridge's credentials and candidate. */
static json_t *allocate(harness *h, peer *p)
{
    json_int_t id = ++h->next_id;
    json_t *resp = simple_request(h, "allocate", id, p->conference, p->id);
    if (!is_response(resp, "allocate-ok", id))
        return resp;
    json_t *ice = json_object_get(resp, "ice"), *dtls = json_object_get(resp, "dtls");
    json_t *cand = json_array_get(json_object_get(resp, "candidates"), 0);
    snprintf(p->bridge_ufrag, sizeof p->bridge_ufrag, "%s", jstr(ice, "ufrag") ? jstr(ice, "ufrag") : "");
    snprintf(p->bridge_pwd, sizeof p->bridge_pwd, "%s", jstr(ice, "pwd") ? jstr(ice, "pwd") : "");
    snprintf(p->bridge_fingerprint, sizeof p->bridge_fingerprint, "%s",
             jstr(dtls, "fingerprint") ? jstr(dtls, "fingerprint") : "");
    p->bridge.sin_family = AF_INET;
    p->bridge.sin_port = htons((uint16_t)json_integer_value(json_object_get(cand, "port")));
    if (!jstr(cand, "ip") || inet_pton(AF_INET, jstr(cand, "ip"), &p->bridge.sin_addr) != 1)
        p->bridge.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return resp;
}

/* ------------------------------------------------------------------ */
/* STUN, DTLS and media helpers                                        */
/* ------------------------------------------------------------------ */

static const packet *find_stun(const peer *p, const uint8_t txid[STUN_TXID_SIZE])
{
    for (size_t i = 0; i < p->stun.n; i++)
        if (p->stun.items[i].len >= STUN_HEADER_SIZE && memcmp(p->stun.items[i].data + 8, txid, STUN_TXID_SIZE) == 0)
            return &p->stun.items[i];
    return NULL;
}

static const packet *wait_stun(harness *h, const peer *p, const uint8_t txid[STUN_TXID_SIZE], int ms)
{
    bool ok;
    WAIT_FOR(h, ok, find_stun(p, txid) != NULL, ms);
    return ok ? find_stun(p, txid) : NULL;
}

/* Sends a nominating check and verifies the success response; starts the
 * consent refreshes when keepalive. */
static bool connectivity_check(harness *h, peer *p, bool keepalive)
{
    uint8_t txid[STUN_TXID_SIZE];
    peer_send_check(p, p->bridge_pwd, true, txid);
    const packet *resp = wait_stun(h, p, txid, 2000);
    CHECK(resp != NULL);
    if (!resp)
        return false;
    stun_msg msg;
    CHECK_EQ_INT(stun_parse(resp->data, resp->len, &msg), 0);
    CHECK_EQ_INT(msg.type, STUN_BINDING_SUCCESS);
    CHECK(msg.has_fingerprint);
    CHECK(stun_check_integrity(resp->data, resp->len, &msg, p->bridge_pwd, strlen(p->bridge_pwd)));
    CHECK(!stun_check_integrity(resp->data, resp->len, &msg, p->pwd, strlen(p->pwd)));
    CHECK(msg.has_mapped);
    const struct sockaddr_in *mapped = (const struct sockaddr_in *)&msg.mapped;
    CHECK_EQ_INT(mapped->sin_family, AF_INET);
    CHECK_EQ_INT(ntohs(mapped->sin_port), ntohs(p->self.sin_port));
    CHECK_EQ_INT(ntohl(mapped->sin_addr.s_addr), INADDR_LOOPBACK);
    p->keepalive = keepalive;
    p->next_check_ms = now_ms() + CHECK_INTERVAL_MS;
    return msg.type == STUN_BINDING_SUCCESS;
}

/* Runs p's DTLS handshake as the client; true once the peer side is connected. */
static bool handshake(harness *h, peer *p, int ms)
{
    p->dtls = dtls_conn_new(p->ctx, false, peer_dtls_send, p);
    CHECK(p->dtls != NULL);
    if (!p->dtls || dtls_conn_start(p->dtls) != 0)
        return false;
    bool ok;
    WAIT_FOR(h, ok, dtls_conn_state(p->dtls) != DTLS_HANDSHAKING, ms);
    (void)ok;
    return dtls_conn_state(p->dtls) == DTLS_CONNECTED || p->srtp_ready;
}

/* An RTP packet as a browser sends it: one-byte header extensions
 * mid (4) = "0", audio level (1) and transport-cc (3), then the payload.
 * The mid element is bytes 16-17. */
static size_t make_rtp(uint8_t *buf, uint32_t ssrc, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
                       uint8_t fill, size_t payload_len)
{
    static const uint8_t ext[12] = { 0xBE, 0xDE, 0x00, 0x02,          /* one-byte form, 2 words */
                                     (EXT_MID << 4) | 0, '0',          /* mid "0" */
                                     (EXT_AUDIO_LEVEL << 4) | 0, 0x9E, /* voice, -30 dBov */
                                     (EXT_TWCC << 4) | 1, 0x12, 0x34,  /* transport-wide seq */
                                     0x00 };                           /* padding */
    buf[0] = 0x90;                                                     /* V=2, X=1 */
    buf[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
    wr16(buf + 2, seq);
    wr32(buf + 4, ts);
    wr32(buf + 8, ssrc);
    memcpy(buf + 12, ext, sizeof ext);
    for (size_t i = 0; i < payload_len; i++)
        buf[24 + i] = (uint8_t)(fill + i * 7);
    return 24 + payload_len;
}

/* Protects a copy of the packet and sends it; the protected bytes go to
 * wire (when not NULL) for later tampering or replay. */
static size_t peer_send_rtp(peer *p, const uint8_t *pkt, size_t len, uint8_t *wire)
{
    uint8_t buf[PKT_MAX];
    memcpy(buf, pkt, len);
    if (stoa_srtp_protect_rtp(&p->srtp, buf, &len, sizeof buf) != 0) {
        CHECK(!"protect RTP");
        return 0;
    }
    peer_send_raw(p, buf, len);
    if (wire)
        memcpy(wire, buf, len);
    return len;
}

static void peer_send_rtcp(peer *p, const uint8_t *pkt, size_t len)
{
    uint8_t buf[PKT_MAX];
    memcpy(buf, pkt, len);
    if (stoa_srtp_protect_rtcp(&p->srtp, buf, &len, sizeof buf) != 0) {
        CHECK(!"protect RTCP");
        return;
    }
    peer_send_raw(p, buf, len);
}

/* An empty receiver report followed by one feedback packet, as browsers send. */
static size_t rr_plus(uint8_t *buf, size_t cap, uint32_t sender, const uint8_t *fb, size_t fb_len)
{
    size_t n = rtcp_build_rr(buf, cap, sender, NULL, 0);
    memcpy(buf + n, fb, fb_len);
    return n + fb_len;
}

/* A audio packet with the next sequence number. */
static size_t a_audio_packet(harness *h, uint8_t *buf, uint8_t fill)
{
    uint16_t seq = h->a_seq++;
    h->a_max_audio_seq = seq;
    return make_rtp(buf, SSRC_A_AUDIO, PT_OPUS, false, seq, 960u * seq, fill, 80);
}

static const packet *find_rtp(const inbox *in, uint32_t ssrc, uint16_t seq)
{
    for (size_t i = 0; i < in->n; i++) {
        rtp_header hd;
        if (rtp_parse(in->items[i].data, in->items[i].len, &hd) == 0 && hd.ssrc == ssrc && hd.seq == seq)
            return &in->items[i];
    }
    return NULL;
}

static int count_rtp_seq(const inbox *in, uint32_t ssrc, uint16_t seq)
{
    int n = 0;
    for (size_t i = 0; i < in->n; i++) {
        rtp_header hd;
        if (rtp_parse(in->items[i].data, in->items[i].len, &hd) == 0 && hd.ssrc == ssrc && hd.seq == seq)
            n++;
    }
    return n;
}

static int count_rtp_ssrc(const inbox *in, uint32_t ssrc)
{
    int n = 0;
    for (size_t i = 0; i < in->n; i++) {
        rtp_header hd;
        if (rtp_parse(in->items[i].data, in->items[i].len, &hd) == 0 && hd.ssrc == ssrc)
            n++;
    }
    return n;
}

/* PLIs naming media in the inbox; the first one's sender SSRC and arrival. */
static int count_pli(const inbox *in, uint32_t media, uint32_t *sender, int64_t *first_at)
{
    int n = 0;
    for (size_t i = 0; i < in->n; i++) {
        rtcp_iter it;
        rtcp_packet p;
        rtcp_iter_init(&it, in->items[i].data, in->items[i].len);
        while (rtcp_next(&it, &p) == 1) {
            rtcp_fb fb;
            if (p.type != RTCP_PSFB || p.count != RTCP_FMT_PLI || rtcp_parse_fb(&p, &fb) != 0 ||
                fb.media_ssrc != media)
                continue;
            if (n++ == 0) {
                if (sender)
                    *sender = fb.sender_ssrc;
                if (first_at)
                    *first_at = in->items[i].at_ms;
            }
        }
    }
    return n;
}

/* Finds a NACK about media; fills its sequence numbers. */
static bool find_nack(const inbox *in, uint32_t media, uint16_t *seqs, size_t cap, size_t *n, uint32_t *sender)
{
    for (size_t i = 0; i < in->n; i++) {
        rtcp_iter it;
        rtcp_packet p;
        rtcp_iter_init(&it, in->items[i].data, in->items[i].len);
        while (rtcp_next(&it, &p) == 1) {
            uint32_t m;
            rtcp_fb fb;
            if (p.type == RTCP_RTPFB && p.count == RTCP_FMT_NACK &&
                rtcp_parse_nack(&p, &m, seqs, cap, n) == 0 && m == media && rtcp_parse_fb(&p, &fb) == 0) {
                *sender = fb.sender_ssrc;
                return true;
            }
        }
    }
    return false;
}

static const rtcp_report_block *find_block(const rtcp_rr *rr, uint32_t ssrc)
{
    for (int i = 0; i < rr->n_blocks; i++)
        if (rr->blocks[i].ssrc == ssrc)
            return &rr->blocks[i];
    return NULL;
}

/* What the bridge's periodic report to a sender holds. */
typedef struct bridge_report {
    rtcp_rr rr;
    bool has_remb;
    uint64_t remb_bitrate;
    uint32_t remb_ssrcs[8];
    size_t remb_n;
    bool has_cname;
    char cname[64];
    uint32_t cname_ssrc;
} bridge_report;

static bool parse_bridge_report(const packet *pk, bridge_report *out)
{
    memset(out, 0, sizeof *out);
    bool has_rr = false;
    rtcp_iter it;
    rtcp_packet p;
    rtcp_iter_init(&it, pk->data, pk->len);
    while (rtcp_next(&it, &p) == 1) {
        if (p.type == RTCP_RR && rtcp_parse_rr(&p, &out->rr) == 0)
            has_rr = true;
        else if (p.type == RTCP_SDES && rtcp_parse_sdes_cname(&p, &out->cname_ssrc, out->cname, sizeof out->cname) == 0)
            out->has_cname = true;
        else if (p.type == RTCP_PSFB && p.count == RTCP_FMT_AFB &&
                 rtcp_parse_remb(&p, &out->remb_bitrate, out->remb_ssrcs, 8, &out->remb_n) == 0)
            out->has_remb = true;
    }
    return has_rr;
}

/* The newest report in the inbox with a block about ssrc whose highest
 * sequence number is highest; NULL when none. */
static const packet *find_report(const inbox *in, uint32_t ssrc, uint32_t highest, bridge_report *out)
{
    for (size_t i = in->n; i-- > 0;) {
        const rtcp_report_block *blk;
        if (parse_bridge_report(&in->items[i], out) && (blk = find_block(&out->rr, ssrc)) &&
            blk->highest_seq == highest)
            return &in->items[i];
    }
    return NULL;
}

static void counters(harness *h, bridge_counters *c)
{
    bridge_get_counters(h->b, c);
}

/* ------------------------------------------------------------------ */
/* Scenarios                                                           */
/* ------------------------------------------------------------------ */

/* 1. Allocation and the control protocol's errors. */
static void scenario_allocate(harness *h, peer *a, peer *b, peer *c)
{
    json_int_t id = h->next_id + 1;
    json_t *resp = allocate(h, a);
    CHECK(is_response(resp, "allocate-ok", id));
    CHECK_EQ_STR(jstr(resp, "endpoint"), "A");
    json_t *ice = json_object_get(resp, "ice"), *dtls = json_object_get(resp, "dtls");
    CHECK(strlen(a->bridge_ufrag) >= 4 && ice_chars(a->bridge_ufrag));
    CHECK(strlen(a->bridge_pwd) >= 22 && ice_chars(a->bridge_pwd));
    CHECK(json_is_true(json_object_get(ice, "lite")));
    CHECK_EQ_INT(strncmp(a->bridge_fingerprint, "sha-256 ", 8), 0);
    uint8_t fp[32];
    CHECK_EQ_INT(sdp_fingerprint_decode(a->bridge_fingerprint, fp), 0);
    CHECK_EQ_STR(jstr(dtls, "setup"), "passive");
    json_t *cands = json_object_get(resp, "candidates");
    CHECK_EQ_INT(json_array_size(cands), 2);
    json_t *tcp = json_array_get(cands, 1);
    CHECK_EQ_STR(jstr(tcp, "protocol"), "tcp");
    CHECK_EQ_STR(jstr(tcp, "tcptype"), "passive");
    CHECK_EQ_INT(json_integer_value(json_object_get(tcp, "port")), h->port);
    CHECK(json_integer_value(json_object_get(tcp, "priority")) < HOST_PRIORITY);
    json_t *cand = json_array_get(cands, 0);
    CHECK_EQ_STR(jstr(cand, "ip"), "127.0.0.1");
    CHECK_EQ_INT(json_integer_value(json_object_get(cand, "port")), h->port);
    CHECK_EQ_STR(jstr(cand, "protocol"), "udp");
    CHECK_EQ_STR(jstr(cand, "foundation"), "1");
    CHECK_EQ_INT(json_integer_value(json_object_get(cand, "priority")), HOST_PRIORITY);

    id = h->next_id + 1;
    resp = allocate(h, b);
    CHECK(is_response(resp, "allocate-ok", id));
    CHECK(strcmp(a->bridge_ufrag, b->bridge_ufrag) != 0);
    CHECK(strcmp(a->bridge_pwd, b->bridge_pwd) != 0);
    CHECK_EQ_STR(a->bridge_fingerprint, b->bridge_fingerprint);
    CHECK_EQ_INT(ntohs(b->bridge.sin_port), h->port);         /* same conference, same worker */

    /* A second conference goes to the idle second worker. */
    id = h->next_id + 1;
    resp = allocate(h, c);
    CHECK(is_response(resp, "allocate-ok", id));
    CHECK_EQ_INT(ntohs(c->bridge.sin_port), h->port + 1);

    resp = simple_request(h, "allocate", 100, "room1", "A");
    CHECK_EQ_STR(error_code(resp), "duplicate-endpoint");
    CHECK_EQ_INT(json_integer_value(json_object_get(resp, "id")), 100);
    resp = request(h, json_pack("{s:s, s:i, s:s, s:s, s:{s:s, s:s}, s:{s:s}, s:[]}", "type", "configure", "id",
                                101, "conference", "room1", "endpoint", "nobody", "ice", "ufrag", "abcd", "pwd",
                                "abcdefghijklmnopqrstuvwxyz", "dtls", "fingerprint", a->bridge_fingerprint,
                                "sources"));
    CHECK_EQ_STR(error_code(resp), "unknown-endpoint");
    CHECK_EQ_INT(json_integer_value(json_object_get(resp, "id")), 101);
    resp = simple_request(h, "expire", 102, "no-such-room", "A");
    CHECK_EQ_STR(error_code(resp), "unknown-endpoint");
    resp = configure(h, a, 103, "sha-1 AB:CD", sources_a());
    CHECK_EQ_STR(error_code(resp), "bad-fingerprint");
    resp = configure(h, a, 104, "sha-256 ZZ:00", sources_a());
    CHECK_EQ_STR(error_code(resp), "bad-fingerprint");
    resp = request(h, json_pack("{s:s, s:s, s:s}", "type", "allocate", "conference", "room1", "endpoint", "X"));
    CHECK_EQ_STR(error_code(resp), "bad-request");
    resp = request(h, json_pack("{s:i, s:s, s:s}", "id", 105, "conference", "room1", "endpoint", "X"));
    CHECK_EQ_STR(error_code(resp), "bad-request");
    CHECK_EQ_INT(json_integer_value(json_object_get(resp, "id")), 105);
    resp = request(h, json_pack("{s:s, s:s, s:s, s:s}", "type", "allocate", "id", "7", "conference", "room1",
                                "endpoint", "X"));
    CHECK_EQ_STR(error_code(resp), "bad-request");
    resp = simple_request(h, "allocate", 106, "", "X");
    CHECK_EQ_STR(error_code(resp), "bad-request");
    resp = simple_request(h, "teleport", 107, "room1", "A");
    CHECK_EQ_STR(error_code(resp), "bad-request");
    resp = request(h, json_pack("{s:s, s:i, s:s, s:s, s:{s:s, s:s}, s:{s:s}, s:[{s:i, s:s}]}", "type",
                                "configure", "id", 108, "conference", "room1", "endpoint", "A", "ice", "ufrag",
                                a->ufrag, "pwd", a->pwd, "dtls", "fingerprint", a->bridge_fingerprint, "sources",
                                "ssrc", 5, "kind", "subtitles"));
    CHECK_EQ_STR(error_code(resp), "bad-request");
    /* None of that created anything: X is unknown. */
    resp = simple_request(h, "expire", 109, "room1", "X");
    CHECK_EQ_STR(error_code(resp), "unknown-endpoint");
}

/* 2. ICE-lite connectivity checks. */
static void scenario_ice(harness *h, peer *a, peer *b, peer *c)
{
    CHECK(connectivity_check(h, a, true));
    CHECK(connectivity_check(h, b, true));
    CHECK(connectivity_check(h, c, false));    /* C falls silent: scenario 10 */

    uint8_t txid[STUN_TXID_SIZE];
    peer_send_check(a, "this-is-not-the-password", true, txid);
    const packet *resp = wait_stun(h, a, txid, 2000);
    CHECK(resp != NULL);
    if (resp) {
        stun_msg msg;
        CHECK_EQ_INT(stun_parse(resp->data, resp->len, &msg), 0);
        CHECK_EQ_INT(msg.type, STUN_BINDING_ERROR);
        CHECK_EQ_INT(msg.error_code, 401);
        CHECK(!msg.has_mapped);
    }
    /* A check with a ufrag nobody has is not answered. */
    uint8_t buf[512];
    size_t n = build_check_to(a, "nobody00", buf, sizeof buf, a->bridge_pwd, true, txid);
    peer_send_raw(a, buf, n);
    pump(h, 50);
    CHECK(find_stun(a, txid) == NULL);
}

/* 3. configure, DTLS, endpoint-connected. */
static void scenario_connect(harness *h, peer *a, peer *b)
{
    json_t *resp = configure(h, a, 200, dtls_ctx_fingerprint(a->ctx), sources_a());
    CHECK(is_response(resp, "configure-ok", 200));
    resp = configure(h, b, 201, dtls_ctx_fingerprint(b->ctx), sources_b());
    CHECK(is_response(resp, "configure-ok", 201));

    /* A first, then B: B's arrival must make the bridge ask A for a keyframe. */
    bool a_ok = handshake(h, a, 3000);
    CHECK(a_ok);
    message *ev = wait_event(h, "endpoint-connected", "A", 3000);
    CHECK(ev != NULL);
    if (ev)
        CHECK_EQ_STR(jstr(ev->json, "conference"), "room1");
    bool b_ok = handshake(h, b, 3000);
    CHECK(b_ok);
    ev = wait_event(h, "endpoint-connected", "B", 3000);
    CHECK(ev != NULL);
    if (ev)
        CHECK_EQ_STR(jstr(ev->json, "conference"), "room1");
    CHECK(a->srtp_ready && b->srtp_ready);

    /* The certificate the bridge presented is the one allocate-ok announced. */
    uint8_t announced[32], seen[32];
    CHECK_EQ_INT(sdp_fingerprint_decode(a->bridge_fingerprint, announced), 0);
    CHECK_EQ_INT(dtls_conn_peer_fingerprint(a->dtls, seen), 0);
    CHECK_MEM(seen, announced, 32);
    CHECK_EQ_INT(dtls_conn_peer_fingerprint(b->dtls, seen), 0);
    CHECK_MEM(seen, announced, 32);
    CHECK_EQ_INT(a->srtp_profile, STOA_SRTP_AEAD_AES_128_GCM);
    h->media_ok = a_ok && b_ok && a->srtp_ready && b->srtp_ready;
}

/* 4. RTP forwarding. */
static void scenario_forward(harness *h, peer *a, peer *b)
{
    uint8_t sent[PKT_MAX], expect[PKT_MAX];
    bool ok;
    /* A burst of audio: every packet reaches B, bit for bit but the mid. */
    uint16_t first = h->a_seq;
    size_t lens[10];
    uint8_t burst[10][200];
    uint16_t prev_tw = 0;
    bridge_counters before_fwd;
    counters(h, &before_fwd);
    for (int i = 0; i < 10; i++) {
        lens[i] = a_audio_packet(h, burst[i], (uint8_t)(i * 13));
        peer_send_rtp(a, burst[i], lens[i], NULL);
    }
    WAIT_FOR(h, ok, find_rtp(&b->rtp, SSRC_A_AUDIO, (uint16_t)(first + 9)) != NULL, 2000);
    CHECK(ok);
    /* Each forwarded packet's time in the bridge is counted (kernel receive
     * time to send); on an idle loopback well under 50 ms. */
    pump(h, 60);
    bridge_counters after_fwd;
    counters(h, &after_fwd);
    uint64_t counted = 0, slow = 0;
    for (int k = 0; k < FORWARD_DELAY_BUCKETS; k++) {
        uint64_t d = after_fwd.forward_delay[k] - before_fwd.forward_delay[k];
        counted += d;
        if (forward_delay_bounds_us[k] > 50000)
            slow += d;
    }
    CHECK(counted >= 10);
    CHECK_EQ_INT(slow, 0);
    CHECK(after_fwd.forward_delay_us_sum - before_fwd.forward_delay_us_sum < counted * 50000);
    for (int i = 0; i < 10; i++) {
        const packet *got = find_rtp(&b->rtp, SSRC_A_AUDIO, (uint16_t)(first + i));
        CHECK(got != NULL);
        if (!got)
            continue;
        memcpy(expect, burst[i], lens[i]);
        expect[16] = expect[17] = 0;                  /* the mid element became padding */
        /* The transport-wide sequence number is B's own: one more per packet. */
        uint16_t tw = (uint16_t)(got->data[21] << 8 | got->data[22]);
        if (i > 0)
            CHECK_EQ_INT(tw, (uint16_t)(prev_tw + 1));
        prev_tw = tw;
        expect[21] = got->data[21];
        expect[22] = got->data[22];
        CHECK_EQ_INT(got->len, lens[i]);
        CHECK(got->len == lens[i] && memcmp(got->data, expect, lens[i]) == 0);
        rtp_header sh, gh;
        CHECK_EQ_INT(rtp_parse(burst[i], lens[i], &sh), 0);
        CHECK_EQ_INT(rtp_parse(got->data, got->len, &gh), 0);
        CHECK_EQ_INT(gh.payload_type, PT_OPUS);
        CHECK_EQ_INT(gh.ssrc, SSRC_A_AUDIO);
        CHECK_EQ_INT(gh.seq, sh.seq);
        CHECK_EQ_INT(gh.timestamp, sh.timestamp);
        CHECK_EQ_INT(gh.marker, sh.marker);
        CHECK_EQ_INT(gh.ext_profile, RTP_EXT_PROFILE_ONE_BYTE);
        CHECK_EQ_INT(gh.payload_len, 80);
        CHECK_MEM(got->data + gh.header_len, burst[i] + sh.header_len, 80);
        size_t off;
        uint8_t elen;
        CHECK_EQ_INT(rtp_ext_find(burst[i], &sh, EXT_MID, &off, &elen), 0);
        CHECK_EQ_INT(rtp_ext_find(got->data, &gh, EXT_MID, &off, &elen), -1);
        CHECK_EQ_INT(rtp_ext_find(got->data, &gh, EXT_AUDIO_LEVEL, &off, &elen), 0);
        bool voice = false;
        CHECK_EQ_INT(rtp_audio_level(got->data, &gh, EXT_AUDIO_LEVEL, &voice), 30);
        CHECK(voice);
        CHECK_EQ_INT(rtp_ext_find(got->data, &gh, EXT_TWCC, &off, &elen), 0);
        CHECK_EQ_INT(elen, 2);
    }
    CHECK_EQ_INT(count_rtp_ssrc(&a->rtp, SSRC_A_AUDIO), 0);  /* never echoed to the sender */

    /* B's audio goes to A and never back to B. Loopback delivers in order, so
     * once B has A's later packet the bridge has handled B's. */
    size_t n = make_rtp(sent, SSRC_B_AUDIO, PT_OPUS, false, 500, 48000, 0x55, 60);
    peer_send_rtp(b, sent, n, NULL);
    WAIT_FOR(h, ok, find_rtp(&a->rtp, SSRC_B_AUDIO, 500) != NULL, 2000);
    CHECK(ok);
    n = a_audio_packet(h, sent, 0x66);
    peer_send_rtp(a, sent, n, NULL);
    WAIT_FOR(h, ok, find_rtp(&b->rtp, SSRC_A_AUDIO, h->a_max_audio_seq) != NULL, 2000);
    CHECK(ok);
    pump(h, 30);
    CHECK_EQ_INT(count_rtp_ssrc(&b->rtp, SSRC_B_AUDIO), 0);

    /* An SSRC A never declared is dropped; the declared one after it passes. */
    bridge_counters before, after;
    counters(h, &before);
    n = make_rtp(sent, SSRC_UNDECLARED, PT_OPUS, false, 7, 7000, 0x77, 40);
    peer_send_rtp(a, sent, n, NULL);
    n = a_audio_packet(h, sent, 0x88);
    peer_send_rtp(a, sent, n, NULL);
    WAIT_FOR(h, ok, find_rtp(&b->rtp, SSRC_A_AUDIO, h->a_max_audio_seq) != NULL, 2000);
    CHECK(ok);
    pump(h, 20);
    CHECK_EQ_INT(count_rtp_ssrc(&b->rtp, SSRC_UNDECLARED), 0);
    counters(h, &after);
    CHECK_EQ_INT(after.dropped[MEDIA_DROP_UNKNOWN] - before.dropped[MEDIA_DROP_UNKNOWN], 1);
    CHECK(after.rtp_forwarded >= 13);
}

static json_t *configure_receives(harness *h, peer *p, json_int_t id, json_t *sources, json_t *receives)
{
    json_t *req = json_pack("{s:s, s:I, s:s, s:s, s:{s:s, s:s}, s:{s:s}, s:o}", "type", "configure", "id", id,
                            "conference", p->conference, "endpoint", p->id, "ice", "ufrag", p->ufrag, "pwd",
                            p->pwd, "dtls", "fingerprint", dtls_ctx_fingerprint(p->ctx), "sources", sources);
    if (receives)
        json_object_set_new(req, "receives", receives);
    return request(h, req);
}

static bool rtcp_has_sr(const inbox *in, uint32_t ssrc)
{
    for (size_t i = 0; i < in->n; i++) {
        rtcp_iter it;
        rtcp_packet p;
        rtcp_sr sr;
        rtcp_iter_init(&it, in->items[i].data, in->items[i].len);
        while (rtcp_next(&it, &p) == 1)
            if (p.type == RTCP_SR && rtcp_parse_sr(&p, &sr) == 0 && sr.ssrc == ssrc)
                return true;
    }
    return false;
}

/* Sends B an audio packet of A's (and A's sender report when sr is given)
 * and checks that B gets neither; B's packet seq to A marks the end. */
static void expect_a_audio_withheld(harness *h, peer *a, peer *b, const rtcp_sr *sr, uint16_t b_seq)
{
    uint8_t pkt[PKT_MAX];
    bool ok;
    inbox_clear(&b->rtp);
    inbox_clear(&b->rtcp);
    size_t n = a_audio_packet(h, pkt, (uint8_t)b_seq);
    peer_send_rtp(a, pkt, n, NULL);
    if (sr) {
        n = rtcp_build_sr(pkt, sizeof pkt, sr);
        peer_send_rtcp(a, pkt, n);
    }
    n = make_rtp(pkt, SSRC_B_AUDIO, PT_OPUS, false, b_seq, 48000u + 960u * b_seq, 0x5a, 60);
    peer_send_rtp(b, pkt, n, NULL);
    /* Loopback keeps order per socket: once A has B's later packet, the
     * bridge has had A's long before. */
    WAIT_FOR(h, ok, find_rtp(&a->rtp, SSRC_B_AUDIO, b_seq) != NULL, 2000);
    CHECK(ok);
    pump(h, 50);
    CHECK_EQ_INT(count_rtp_ssrc(&b->rtp, SSRC_A_AUDIO), 0);
    CHECK(!rtcp_has_sr(&b->rtcp, SSRC_A_AUDIO));
}

/* Sends one audio packet of A's and waits until B has it. */
static void expect_a_audio_reaches_b(harness *h, peer *a, peer *b)
{
    uint8_t pkt[PKT_MAX];
    bool ok;
    size_t n = a_audio_packet(h, pkt, 0x99);
    peer_send_rtp(a, pkt, n, NULL);
    WAIT_FOR(h, ok, find_rtp(&b->rtp, SSRC_A_AUDIO, h->a_max_audio_seq) != NULL, 2000);
    CHECK(ok);
}

/* 4b. A receiver is sent media under the SSRCs its answered offer named
 * ("receives") and no other: Firefox hands a stream it was not told of to
 * a section whose payload type is unique and keeps it there. */
static void scenario_announced(harness *h, peer *a, peer *b)
{
    uint8_t pkt[PKT_MAX];
    bool ok;
    /* Malformed lists are refused, and change nothing. */
    json_t *resp = configure_receives(h, b, 260, sources_b(), json_pack("[i]", 0));
    CHECK_EQ_STR(error_code(resp), "bad-request");
    resp = configure_receives(h, b, 261, sources_b(), json_string("all"));
    CHECK_EQ_STR(error_code(resp), "bad-request");
    json_t *many = json_array();
    for (int i = 0; i < 257; i++)   /* one more than a receiver may be told of */
        json_array_append_new(many, json_integer(1000 + i));
    resp = configure_receives(h, b, 262, sources_b(), many);
    CHECK_EQ_STR(error_code(resp), "bad-request");

    /* B was told of A's video only: A's audio (and its sender report) do
     * not reach B, while B's audio still reaches A (A is not limited). */
    resp = configure_receives(h, b, 263, sources_b(), json_pack("[I, I]", (json_int_t)SSRC_A_VIDEO,
                                                                 (json_int_t)SSRC_A_VIDEO));
    CHECK(is_response(resp, "configure-ok", 263));
    pump(h, 20);
    rtcp_sr sr = { .ssrc = SSRC_A_AUDIO, .ntp_sec = 0xE8A1B2C4, .rtp_timestamp = 7, .packet_count = 5 };
    expect_a_audio_withheld(h, a, b, &sr, 520);

    /* The next answer names A's audio too: it flows to B again. */
    resp = configure_receives(h, b, 264, sources_b(), json_pack("[I, I]", (json_int_t)SSRC_A_AUDIO,
                                                                 (json_int_t)SSRC_A_VIDEO));
    CHECK(is_response(resp, "configure-ok", 264));
    pump(h, 20);
    expect_a_audio_reaches_b(h, a, b);
    size_t n = rtcp_build_sr(pkt, sizeof pkt, &sr);
    peer_send_rtcp(a, pkt, n);
    WAIT_FOR(h, ok, rtcp_has_sr(&b->rtcp, SSRC_A_AUDIO), 2000);
    CHECK(ok);

    /* An empty list: B is told of nothing and gets nothing; then a
     * configure without "receives" lifts the limit (as before). */
    resp = configure_receives(h, b, 265, sources_b(), json_array());
    CHECK(is_response(resp, "configure-ok", 265));
    pump(h, 20);
    expect_a_audio_withheld(h, a, b, NULL, 521);
    resp = configure_receives(h, b, 266, sources_b(), NULL);
    CHECK(is_response(resp, "configure-ok", 266));
    pump(h, 20);
    expect_a_audio_reaches_b(h, a, b);
}

static void send_to(int fd, const struct sockaddr_in *to, const void *data, size_t n)
{
    (void)sendto(fd, data, n, 0, (const struct sockaddr *)to, sizeof *to);
}

/* Reads what arrived at fd as if it had arrived at p's own socket; returns
 * how many datagrams. */
static int drain_into(int fd, peer *p)
{
    uint8_t buf[PKT_MAX];
    int n = 0;
    ssize_t got;
    while ((got = recv(fd, buf, sizeof buf, 0)) > 0) {
        peer_receive(p, buf, (size_t)got);
        n++;
    }
    return n;
}

/* A nominating check of p's with this priority, sent from fd. */
static void nominate_from(harness *h, int fd, peer *p, uint32_t priority)
{
    uint8_t txid[STUN_TXID_SIZE], buf[512];
    size_t n = build_check_with(p, p->bridge_ufrag, priority, buf, sizeof buf, p->bridge_pwd, true, txid);
    send_to(fd, &p->bridge, buf, n);
    pump(h, 30);
}

enum { ARRIVED_NOWHERE, ARRIVED_OWN, ARRIVED_OTHER };

/* Where B's audio packet seq reaches A: on A's own socket or on fd. */
static int b_audio_arrival(harness *h, peer *a, peer *b, int fd, uint16_t seq)
{
    uint8_t pkt[PKT_MAX];
    size_t n = make_rtp(pkt, SSRC_B_AUDIO, PT_OPUS, false, seq, 48000u + 960u * seq, 0x5c, 60);
    inbox_clear(&a->rtp);
    peer_send_rtp(b, pkt, n, NULL);
    for (int64_t end = now_ms() + 2000; now_ms() < end;) {
        pump_once(h, 2);   /* reads A's own socket */
        if (find_rtp(&a->rtp, SSRC_B_AUDIO, seq))
            return ARRIVED_OWN;
        drain_into(fd, a);
        if (find_rtp(&a->rtp, SSRC_B_AUDIO, seq))
            return ARRIVED_OTHER;
    }
    return ARRIVED_NOWHERE;
}

/* 4c. The media goes on the nominated pair of the highest priority, not
 * the last nominated (RFC 8445 8.1.1): Firefox nominates its ICE-TCP pair
 * as well as its UDP one, and uses the UDP one. */
static void scenario_path_priority(harness *h, peer *a, peer *b)
{
    int other = udp_socket_on_loopback(NULL);
    CHECK(other >= 0);
    if (other < 0)
        return;
    /* A lower pair nominated after A's own: A's socket keeps the media. */
    nominate_from(h, other, a, 0x5A7FFFFFu);
    CHECK_EQ_INT(b_audio_arrival(h, a, b, other, 530), ARRIVED_OWN);
    /* A higher one: the media moves there, and a lower nomination on A's
     * own socket does not bring it back... */
    nominate_from(h, other, a, 0x7E7FFFFFu);
    CHECK_EQ_INT(b_audio_arrival(h, a, b, other, 531), ARRIVED_OTHER);
    uint8_t txid[STUN_TXID_SIZE];
    peer_send_check(a, a->bridge_pwd, true, txid);
    pump(h, 30);
    CHECK_EQ_INT(b_audio_arrival(h, a, b, other, 532), ARRIVED_OTHER);
    /* ...a higher one does. */
    nominate_from(h, a->fd, a, 0x7EFFFFFFu);
    drain_into(other, a);
    CHECK_EQ_INT(b_audio_arrival(h, a, b, other, 533), ARRIVED_OWN);
    close(other);
    /* Dead pairs give way (RFC 7675 consent: checked every few seconds). */
    CHECK(ice_nomination_moves(ice_pair_priority(0x6E7FFFFFu, 0x7EFFFFFFu), 1000, ice_pair_priority(0x5A7FFFFFu, 0x7EFFFFFFu),
                               1000 + ICE_SELECTED_STALE_MS + 1));
    CHECK(!ice_nomination_moves(ice_pair_priority(0x6E7FFFFFu, 0x7EFFFFFFu), 1000, ice_pair_priority(0x5A7FFFFFu, 0x7EFFFFFFu),
                                1000 + ICE_SELECTED_STALE_MS));
    CHECK(ice_pair_priority(0x6E7FFFFFu, 0x7EFFFFFFu) > ice_pair_priority(0x6E7FFFFFu, 0x5AFFFFFFu));
    CHECK_EQ_INT(ice_pair_priority(1, 2), (1ull << 32) + 4);
    CHECK_EQ_INT(ice_pair_priority(2, 1), (1ull << 32) + 5);
}

/* 5. Keyframe requests and NACKs. */
static void scenario_keyframes(harness *h, peer *a, peer *b)
{
    bool ok;
    uint32_t sender = 0;
    int64_t at = 0;
    /* B's connection made the bridge ask A (the video sender) for a keyframe. */
    WAIT_FOR(h, ok, count_pli(&a->rtcp, SSRC_A_VIDEO, &sender, NULL) > 0, 1500);
    CHECK(ok);
    CHECK(sender != 0 && sender != SSRC_B_AUDIO);     /* from the bridge, not relayed */
    h->bridge_ssrc_a = sender;
    CHECK_EQ_INT(count_pli(&b->rtcp, SSRC_A_VIDEO, NULL, NULL), 0);

    /* A renegotiation of B (configure again) asks again, once B's
     * key-frame budget allows (one request per source and second). */
    pump(h, 1000);
    inbox_clear(&a->rtcp);
    json_t *resp = configure(h, b, 300, dtls_ctx_fingerprint(b->ctx), sources_b());
    CHECK(is_response(resp, "configure-ok", 300));
    WAIT_FOR(h, ok, count_pli(&a->rtcp, SSRC_A_VIDEO, NULL, NULL) > 0, 1500);
    CHECK(ok);

    /* B's PLIs for A's video reach A, one per second from B; a PLI for an
     * audio source is ignored. */
    pump(h, 1000);
    bridge_counters before, after;
    counters(h, &before);
    inbox_clear(&a->rtcp);
    uint8_t fb[64], pkt[256];
    int64_t sent_at = now_ms();
    for (int i = 0; i < 5; i++) {
        size_t n = rtcp_build_pli(fb, sizeof fb, SSRC_B_AUDIO, SSRC_A_VIDEO);
        peer_send_rtcp(b, pkt, rr_plus(pkt, sizeof pkt, SSRC_B_AUDIO, fb, n));
        n = rtcp_build_pli(fb, sizeof fb, SSRC_B_AUDIO, SSRC_A_AUDIO);
        peer_send_rtcp(b, pkt, rr_plus(pkt, sizeof pkt, SSRC_B_AUDIO, fb, n));
    }
    WAIT_FOR(h, ok, count_pli(&a->rtcp, SSRC_A_VIDEO, &sender, &at) > 0, 1500);
    CHECK(ok);
    CHECK(at - sent_at <= 400);                         /* within the 300 ms limit */
    CHECK_EQ_INT(sender, h->bridge_ssrc_a);
    pump(h, 700);
    CHECK_EQ_INT(count_pli(&a->rtcp, SSRC_A_VIDEO, NULL, NULL), 1);
    CHECK_EQ_INT(count_pli(&a->rtcp, SSRC_A_AUDIO, NULL, NULL), 0);
    counters(h, &after);
    CHECK_EQ_INT(after.dropped[MEDIA_DROP_KEYFRAME_BUDGET] - before.dropped[MEDIA_DROP_KEYFRAME_BUDGET], 4);

    /* The four refused ones were deferred, not lost: together they make one
     * more PLI when B's second is over. */
    inbox_clear(&a->rtcp);
    WAIT_FOR(h, ok, count_pli(&a->rtcp, SSRC_A_VIDEO, NULL, &at) > 0, 1000);
    CHECK(ok);
    CHECK(at - sent_at >= 950);
    pump(h, 500);
    CHECK_EQ_INT(count_pli(&a->rtcp, SSRC_A_VIDEO, NULL, NULL), 1);

    /* A FIR becomes a PLI too (a second after B's last). */
    pump(h, 600);
    inbox_clear(&a->rtcp);
    size_t n = rtcp_build_fir(fb, sizeof fb, SSRC_B_AUDIO, SSRC_A_VIDEO, 1);
    peer_send_rtcp(b, pkt, rr_plus(pkt, sizeof pkt, SSRC_B_AUDIO, fb, n));
    WAIT_FOR(h, ok, count_pli(&a->rtcp, SSRC_A_VIDEO, NULL, NULL) > 0, 1000);
    CHECK(ok);

    /* B's NACK for A's audio reaches A, re-addressed from the bridge. */
    inbox_clear(&a->rtcp);
    const uint16_t lost[2] = { 5, 6 };
    n = rtcp_build_nack(fb, sizeof fb, SSRC_B_AUDIO, SSRC_A_AUDIO, lost, 2);
    peer_send_rtcp(b, pkt, rr_plus(pkt, sizeof pkt, SSRC_B_AUDIO, fb, n));
    uint16_t seqs[16];
    size_t count = 0;
    WAIT_FOR(h, ok, find_nack(&a->rtcp, SSRC_A_AUDIO, seqs, 16, &count, &sender), 1000);
    CHECK(ok);
    CHECK_EQ_INT(count, 2);
    if (count == 2) {
        CHECK_EQ_INT(seqs[0], 5);
        CHECK_EQ_INT(seqs[1], 6);
    }
    CHECK_EQ_INT(sender, h->bridge_ssrc_a);
    CHECK(!find_nack(&b->rtcp, SSRC_A_AUDIO, seqs, 16, &count, &sender));
}

/* 5b. Loss recovery: the bridge NACKs a sender for its own gaps, answers a
 * receiver's NACK from its packet cache, and passes on to the sender what
 * the cache cannot answer. */
static void scenario_loss_recovery(harness *h, peer *a, peer *b)
{
    bool ok;
    uint8_t pkt[PKT_MAX], fb[64], rtcp[256];
    bridge_counters before, after;
    pump(h, 60);   /* counters are published every tick */
    counters(h, &before);
    inbox_clear(&a->rtcp);
    inbox_clear(&b->rtp);
    b->lose_ssrc = SSRC_A_VIDEO;
    b->lose_seq = 601;
    /* Far ahead of earlier video: a jump, not a gap worth NACKing. */
    const uint16_t sent[] = { 600, 601, 602, 604 };
    for (size_t i = 0; i < 4; i++) {
        size_t n = make_rtp(pkt, SSRC_A_VIDEO, PT_VP8, false, sent[i], 500000u + 3000u * sent[i], 0x40, 400);
        peer_send_rtp(a, pkt, n, NULL);
    }
    WAIT_FOR(h, ok, find_rtp(&b->rtp, SSRC_A_VIDEO, 604) != NULL, 1000);
    CHECK(ok);
    uint16_t seqs[16];
    size_t count = 0;
    uint32_t sender = 0;
    WAIT_FOR(h, ok, find_nack(&a->rtcp, SSRC_A_VIDEO, seqs, 16, &count, &sender), 1000);
    CHECK(ok);                                           /* the bridge missed 603: it asks A */
    CHECK_EQ_INT(count, 1);
    CHECK_EQ_INT(count > 0 ? seqs[0] : 0, 603);
    CHECK_EQ_INT(sender, h->bridge_ssrc_a);

    /* B lost 601. A's video has no RTX stream, and resending 601 as it was
     * would protect one index twice (srtp.h refuses): the NACK goes to A. */
    inbox_clear(&a->rtcp);
    const uint16_t lost[1] = { 601 };
    size_t n = rtcp_build_nack(fb, sizeof fb, SSRC_B_AUDIO, SSRC_A_VIDEO, lost, 1);
    peer_send_rtcp(b, rtcp, rr_plus(rtcp, sizeof rtcp, SSRC_B_AUDIO, fb, n));
    CHECK_EQ_INT(b->lose_seq, -1);                       /* the first 601 was lost */
    WAIT_FOR(h, ok, find_nack(&a->rtcp, SSRC_A_VIDEO, seqs, 16, &count, &sender), 1000);
    CHECK(ok);
    CHECK_EQ_INT(count > 0 ? seqs[0] : 0, 601);
    CHECK_EQ_INT(count_rtp_seq(&b->rtp, SSRC_A_VIDEO, 601), 0);
    inbox_clear(&a->rtcp);

    /* B lost 603 as well, which the bridge never had: that NACK goes to A. */
    const uint16_t never[1] = { 603 };
    n = rtcp_build_nack(fb, sizeof fb, SSRC_B_AUDIO, SSRC_A_VIDEO, never, 1);
    peer_send_rtcp(b, rtcp, rr_plus(rtcp, sizeof rtcp, SSRC_B_AUDIO, fb, n));
    WAIT_FOR(h, ok, find_nack(&a->rtcp, SSRC_A_VIDEO, seqs, 16, &count, &sender), 1000);
    CHECK(ok);
    CHECK_EQ_INT(count > 0 ? seqs[0] : 0, 603);
    /* A's retransmission reaches B like any packet. */
    n = make_rtp(pkt, SSRC_A_VIDEO, PT_VP8, false, 603, 500000u + 3000u * 603, 0x40, 400);
    peer_send_rtp(a, pkt, n, NULL);
    WAIT_FOR(h, ok, find_rtp(&b->rtp, SSRC_A_VIDEO, 603) != NULL, 1000);
    CHECK(ok);

    pump(h, 60);   /* counters are published every tick */
    counters(h, &after);
    CHECK_EQ_INT(after.nacks_received - before.nacks_received, 2);
    CHECK_EQ_INT(after.retransmitted - before.retransmitted, 0);
    CHECK_EQ_INT(after.nacks_sent - before.nacks_sent, 1);
}

/* 6. The bridge's receiver reports and REMB to a sender. */
static void scenario_reports(harness *h, peer *a, peer *b)
{
    /* Video with one packet lost (seq 102). */
    uint8_t buf[PKT_MAX];
    const uint16_t vseq[3] = { 100, 101, 103 };
    for (int i = 0; i < 3; i++) {
        size_t n = make_rtp(buf, SSRC_A_VIDEO, PT_VP8, i == 2, vseq[i], 90000u + 3000u * i, 0x10, 300);
        peer_send_rtp(a, buf, n, NULL);
    }
    bool ok;
    WAIT_FOR(h, ok, find_rtp(&b->rtp, SSRC_A_VIDEO, 103) != NULL, 2000);
    CHECK(ok);
    CHECK(find_rtp(&b->rtp, SSRC_A_VIDEO, 101) != NULL);

    bridge_report rep;
    const packet *found = NULL;
    WAIT_FOR(h, ok, (found = find_report(&a->rtcp, SSRC_A_VIDEO, 103, &rep)) != NULL, 2500);
    CHECK(ok);
    if (!found)
        return;
    CHECK_EQ_INT(rep.rr.ssrc, h->bridge_ssrc_a);
    const rtcp_report_block *audio = find_block(&rep.rr, SSRC_A_AUDIO);
    const rtcp_report_block *video = find_block(&rep.rr, SSRC_A_VIDEO);
    CHECK_EQ_INT(rep.rr.n_blocks, 2);
    CHECK(audio != NULL && video != NULL);
    if (audio) {
        CHECK_EQ_INT(audio->highest_seq, h->a_max_audio_seq);
        CHECK_EQ_INT(audio->cumulative_lost, 0);
    }
    if (video) {
        CHECK_EQ_INT(video->highest_seq, 103);
        CHECK_EQ_INT(video->cumulative_lost, 1);
    }
    CHECK(rep.has_cname);
    CHECK_EQ_STR(rep.cname, "stoa-bridge");
    CHECK_EQ_INT(rep.cname_ssrc, h->bridge_ssrc_a);
    CHECK(rep.has_remb);
    CHECK(rep.remb_bitrate >= REMB_BPS - REMB_BPS / 100 && rep.remb_bitrate <= REMB_BPS);
    CHECK_EQ_INT(rep.remb_n, 2);
    bool has_audio = false, has_video = false;
    for (size_t i = 0; i < rep.remb_n; i++) {
        has_audio |= rep.remb_ssrcs[i] == SSRC_A_AUDIO;
        has_video |= rep.remb_ssrcs[i] == SSRC_A_VIDEO;
    }
    CHECK(has_audio && has_video);
}

/* 7. Sender reports are relayed to the receivers, report blocks removed. */
static void scenario_sender_reports(harness *h, peer *a, peer *b)
{
    rtcp_sr sr = { .ssrc = SSRC_A_AUDIO, .ntp_sec = 0xE8A1B2C3, .ntp_frac = 0x44556677,
                   .rtp_timestamp = 0x01020304, .packet_count = 13, .octet_count = 1040, .n_blocks = 1 };
    sr.blocks[0] = (rtcp_report_block){ .ssrc = SSRC_B_AUDIO, .highest_seq = 500 };
    uint8_t pkt[512];
    size_t n = rtcp_build_sr(pkt, sizeof pkt, &sr);
    n += rtcp_build_sdes_cname(pkt + n, sizeof pkt - n, SSRC_A_AUDIO, "alice-cname");
    inbox_clear(&b->rtcp);
    inbox_clear(&a->rtcp);
    int64_t sent_at = now_ms();
    peer_send_rtcp(a, pkt, n);

    bool ok = false, found = false;
    rtcp_sr got;
    char cname[64] = "";
    uint32_t cname_ssrc = 0;
    int64_t end = now_ms() + 2000;
    while (!found && now_ms() < end) {
        pump_once(h, 2);
        for (size_t i = 0; i < b->rtcp.n && !found; i++) {
            rtcp_iter it;
            rtcp_packet p;
            rtcp_iter_init(&it, b->rtcp.items[i].data, b->rtcp.items[i].len);
            while (rtcp_next(&it, &p) == 1) {
                if (p.type == RTCP_SR && rtcp_parse_sr(&p, &got) == 0 && got.ssrc == SSRC_A_AUDIO)
                    found = true;
                else if (found && p.type == RTCP_SDES)
                    ok = rtcp_parse_sdes_cname(&p, &cname_ssrc, cname, sizeof cname) == 0;
            }
        }
    }
    CHECK(found);
    if (found) {
        CHECK_EQ_INT(got.ntp_sec, sr.ntp_sec);
        CHECK_EQ_INT(got.ntp_frac, sr.ntp_frac);
        CHECK_EQ_INT(got.rtp_timestamp, sr.rtp_timestamp);
        CHECK_EQ_INT(got.packet_count, sr.packet_count);
        CHECK_EQ_INT(got.octet_count, sr.octet_count);
        CHECK_EQ_INT(got.n_blocks, 0);
        CHECK(ok);
        CHECK_EQ_STR(cname, "alice-cname");
        CHECK_EQ_INT(cname_ssrc, SSRC_A_AUDIO);
    }
    /* Nothing of it goes back to A. */
    for (size_t i = 0; i < a->rtcp.n; i++) {
        rtcp_iter it;
        rtcp_packet p;
        rtcp_iter_init(&it, a->rtcp.items[i].data, a->rtcp.items[i].len);
        while (rtcp_next(&it, &p) == 1)
            CHECK(p.type != RTCP_SR);
    }
    /* A's next receiver report acknowledges the SR: LSR is the middle of its
     * NTP timestamp, DLSR (1/65536 s) at most the time since it was sent. */
    uint32_t lsr = (sr.ntp_sec << 16) | (sr.ntp_frac >> 16);
    const rtcp_report_block *blk = NULL;
    bridge_report rep;
    end = now_ms() + 1500;
    while (!blk && now_ms() < end) {
        pump_once(h, 2);
        for (size_t i = 0; i < a->rtcp.n && !blk; i++) {
            const rtcp_report_block *x;
            if (parse_bridge_report(&a->rtcp.items[i], &rep) && (x = find_block(&rep.rr, SSRC_A_AUDIO)) &&
                x->lsr != 0)
                blk = x;
        }
    }
    CHECK(blk != NULL);
    if (blk) {
        CHECK_EQ_INT(blk->lsr, lsr);
        CHECK(blk->dlsr <= (uint32_t)((now_ms() - sent_at + 50) * 65536 / 1000));
    }
}

/* Sends n bytes from fd to the bridge port. */
/* 7b. Budgets against a receiver holding keys: an SSRC of another
 * endpoint declared or sent is never attributed to it, and a NACK storm
 * gets retransmissions worth at most half of what it was forwarded (plus
 * nothing it had not earned). */
static void scenario_budgets(harness *h, peer *a, peer *b)
{
    bool ok;
    uint8_t pkt[PKT_MAX], fb[512], rtcp[600];
    bridge_counters before, after;
    pump(h, 60);
    counters(h, &before);

    /* B declares A's camera SSRC as its own: refused by the worker. */
    json_t *stolen = json_pack("[{s:I, s:s}, {s:I, s:s}]", "ssrc", (json_int_t)SSRC_B_AUDIO, "kind", "audio",
                               "ssrc", (json_int_t)SSRC_A_VIDEO, "kind", "video");
    json_t *resp = configure(h, b, 700, dtls_ctx_fingerprint(b->ctx), stolen);
    CHECK(is_response(resp, "configure-ok", 700));
    inbox_clear(&a->rtp);
    for (uint16_t seq = 7000; seq < 7005; seq++) {
        size_t n = make_rtp(pkt, SSRC_A_VIDEO, PT_VP8, false, seq, 90u * seq, 0x55, 300);
        peer_send_rtp(b, pkt, n, NULL);
    }
    /* B's own audio still flows, A's SSRC from B does not. */
    size_t n = make_rtp(pkt, SSRC_B_AUDIO, PT_OPUS, false, 9000, 960u * 9000, 0x11, 80);
    peer_send_rtp(b, pkt, n, NULL);
    WAIT_FOR(h, ok, find_rtp(&a->rtp, SSRC_B_AUDIO, 9000) != NULL, 1000);
    CHECK(ok);
    CHECK_EQ_INT(count_rtp_ssrc(&a->rtp, SSRC_A_VIDEO), 0);
    resp = configure(h, b, 701, dtls_ctx_fingerprint(b->ctx), sources_b());
    CHECK(is_response(resp, "configure-ok", 701));

    /* A's video gets an RTX stream, then A sends 60 video packets of 1000
     * bytes: B earns about 30 kB of retransmission. Then B asks for all of
     * them, five times over. */
    const uint32_t a_video_rtx = 0x55555555u;
    resp = configure(h, a, 702, dtls_ctx_fingerprint(a->ctx),
                     json_pack("[{s:I, s:s}, {s:I, s:s, s:I}]", "ssrc", (json_int_t)SSRC_A_AUDIO, "kind", "audio",
                               "ssrc", (json_int_t)SSRC_A_VIDEO, "kind", "video", "rtx", (json_int_t)a_video_rtx));
    CHECK(is_response(resp, "configure-ok", 702));
    inbox_clear(&b->rtp);
    for (uint16_t seq = 800; seq < 860; seq++) {
        n = make_rtp(pkt, SSRC_A_VIDEO, PT_VP8, false, seq, 90u * seq, 0x66, 1000);
        peer_send_rtp(a, pkt, n, NULL);
    }
    WAIT_FOR(h, ok, find_rtp(&b->rtp, SSRC_A_VIDEO, 859) != NULL, 1000);
    CHECK(ok);
    uint16_t seqs[60];
    for (int i = 0; i < 60; i++)
        seqs[i] = (uint16_t)(800 + i);
    size_t f = rtcp_build_nack(fb, sizeof fb, SSRC_B_AUDIO, SSRC_A_VIDEO, seqs, 60);
    CHECK(f > 0);
    for (int round = 0; round < 5; round++)
        peer_send_rtcp(b, rtcp, rr_plus(rtcp, sizeof rtcp, SSRC_B_AUDIO, fb, f));
    pump(h, 200);
    counters(h, &after);
    uint64_t resent = after.retransmitted - before.retransmitted;
    uint64_t refused = after.dropped[MEDIA_DROP_RTX_BUDGET] - before.dropped[MEDIA_DROP_RTX_BUDGET];
    printf("bridge_loopback: NACK storm of 300 packets: %llu resent, %llu refused\n", (unsigned long long)resent,
           (unsigned long long)refused);
    CHECK(resent >= 20 && resent <= 40);            /* ~30 kB earned here (and a little before), 1 kB each */
    CHECK_EQ_INT(resent + refused, 300);
    CHECK_EQ_INT(count_rtp_ssrc(&b->rtp, a_video_rtx), (int)resent);
    CHECK(after.dropped[MEDIA_DROP_FOREIGN_SSRC] - before.dropped[MEDIA_DROP_FOREIGN_SSRC] >= 1);
    resp = configure(h, a, 703, dtls_ctx_fingerprint(a->ctx), sources_a());
    CHECK(is_response(resp, "configure-ok", 703));
}

/* 8. Hostile input: nothing of it harms the conference; the counters say why
 * each datagram was dropped. */
static void scenario_hostile(harness *h, peer *a, peer *b)
{
    struct sockaddr_in attacker_addr;
    int evil = udp_socket_on_loopback(&attacker_addr);
    CHECK(evil >= 0);
    if (evil < 0)
        return;
    const struct sockaddr_in *bridge = &a->bridge;
    bridge_counters before, after;
    pump(h, 20);
    counters(h, &before);
    uint64_t malformed = 0, unknown = 0, unknown_ufrag = 0, auth = 0, sent = 0;

    /* Random bytes of many lengths from an unknown address. */
    uint8_t buf[PKT_MAX];
    for (size_t len = 1; len <= 1400; len += 37) {
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rng_next();
        if (len >= 8 && buf[0] < 4 && buf[4] == 0x21)
            buf[4] = 0x22;                       /* no magic cookie: cannot parse */
        send_to(evil, bridge, buf, len);
        sent++;
        if (buf[0] < 4)
            malformed++;                         /* not STUN */
        else
            unknown++;                           /* unknown source address */
    }
    send_to(evil, bridge, buf, 0);               /* an empty datagram */
    sent++;

    /* A valid check, then broken copies of it. */
    uint8_t txid[STUN_TXID_SIZE], check[512];
    size_t n = build_check(a, check, sizeof check, a->bridge_pwd, false, txid);
    send_to(evil, bridge, check, 10);            /* truncated header */
    send_to(evil, bridge, check, STUN_HEADER_SIZE + 3);   /* truncated body */
    memcpy(buf, check, n);
    buf[n - 1] ^= 0x01;                          /* bad FINGERPRINT */
    send_to(evil, bridge, buf, n);
    memcpy(buf, check, n);
    buf[2] = 0x7F;                               /* length beyond the datagram */
    send_to(evil, bridge, buf, n);
    malformed += 4;
    sent += 4;
    /* Wrong password, unknown ufrag: authentication and unknown. */
    n = build_check(a, check, sizeof check, "not-the-password-at-all", false, txid);
    send_to(evil, bridge, check, n);
    auth++;
    n = build_check_to(a, "zzzzzzzz", check, sizeof check, a->bridge_pwd, false, txid);
    send_to(evil, bridge, check, n);
    unknown_ufrag++;
    sent += 2;

    /* RTP- and DTLS-looking datagrams from an unknown address. */
    n = make_rtp(buf, SSRC_A_AUDIO, PT_OPUS, false, 1, 1, 0, 50);
    send_to(evil, bridge, buf, n + 16);
    static const uint8_t client_hello_start[] = { 22, 0xFE, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40, 1, 0, 0, 36 };
    memset(buf, 0, 64);
    memcpy(buf, client_hello_start, sizeof client_hello_start);
    send_to(evil, bridge, buf, 53);
    unknown += 2;
    sent += 2;

    /* From A's own address: a tampered SRTP packet, a replayed one, a
     * truncated one, RTCP that fails authentication, a byte outside every
     * RFC 7983 range, and a forged plaintext fatal alert to A's DTLS. */
    uint8_t wire[PKT_MAX];
    n = a_audio_packet(h, buf, 0x99);
    size_t wire_len = peer_send_rtp(a, buf, n, wire);       /* valid, forwarded */
    memcpy(buf, wire, wire_len);
    buf[30] ^= 0x40;
    peer_send_raw(a, buf, wire_len);                        /* tampered */
    peer_send_raw(a, wire, wire_len);                       /* replayed */
    peer_send_raw(a, wire, 9);                              /* truncated */
    memcpy(buf, wire, 40);
    buf[1] = RTCP_RR;
    peer_send_raw(a, buf, 40);                              /* forged SRTCP */
    auth += 3;
    malformed += 1;                                         /* the truncated one: shorter than a header */
    buf[0] = 0x45;
    peer_send_raw(a, buf, 40);
    buf[0] = 0xFF;
    peer_send_raw(a, buf, 40);
    malformed += 2;
    static const uint8_t alert[] = { 21, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 2, 40 };
    peer_send_raw(a, alert, sizeof alert);
    sent += 8;
    uint16_t valid_seq = h->a_max_audio_seq;

    /* Forwarding still works. */
    n = a_audio_packet(h, buf, 0xAA);
    peer_send_rtp(a, buf, n, NULL);
    bool ok;
    WAIT_FOR(h, ok, find_rtp(&b->rtp, SSRC_A_AUDIO, h->a_max_audio_seq) != NULL, 2000);
    CHECK(ok);
    CHECK(find_rtp(&b->rtp, SSRC_A_AUDIO, valid_seq) != NULL);
    CHECK(find_event(h, "endpoint-expired", "A") == NULL);
    CHECK_EQ_INT(dtls_conn_state(a->dtls), DTLS_CONNECTED);
    /* The bridge answered the wrong password with a 401, to the attacker. */
    pump(h, 50);
    int replies = 0, rejections = 0;
    for (ssize_t r; (r = recv(evil, buf, sizeof buf, MSG_DONTWAIT)) >= 0;) {
        stun_msg msg;
        replies++;
        if (stun_parse(buf, (size_t)r, &msg) == 0 && msg.type == STUN_BINDING_ERROR && msg.error_code == 401)
            rejections++;
    }
    CHECK_EQ_INT(rejections, 1);
    CHECK_EQ_INT(replies, 1);                    /* and nothing else */
    close(evil);

    counters(h, &after);
    CHECK(after.rx_datagrams - before.rx_datagrams >= sent);
    CHECK_EQ_INT(after.dropped[MEDIA_DROP_MALFORMED] - before.dropped[MEDIA_DROP_MALFORMED], malformed);
    CHECK_EQ_INT(after.dropped[MEDIA_DROP_UNKNOWN] - before.dropped[MEDIA_DROP_UNKNOWN], unknown);
    CHECK_EQ_INT(after.dropped[MEDIA_DROP_AUTH] - before.dropped[MEDIA_DROP_AUTH], auth);
    CHECK_EQ_INT(after.dropped[MEDIA_DROP_UNKNOWN_UFRAG] - before.dropped[MEDIA_DROP_UNKNOWN_UFRAG], unknown_ufrag);
}

/* 9. expire: the endpoint is gone, its traffic with it. */
static void scenario_expire(harness *h, peer *a, peer *b)
{
    json_t *resp = simple_request(h, "expire", 900, "room1", "A");
    CHECK(is_response(resp, "expire-ok", 900));
    resp = simple_request(h, "expire", 901, "room1", "A");
    CHECK_EQ_STR(error_code(resp), "unknown-endpoint");
    resp = configure(h, a, 902, dtls_ctx_fingerprint(a->ctx), sources_a());
    CHECK_EQ_STR(error_code(resp), "unknown-endpoint");

    /* The bridge says goodbye (close_notify)... */
    bool ok;
    WAIT_FOR(h, ok, dtls_conn_state(a->dtls) == DTLS_CLOSED, 1000);
    CHECK(ok);
    a->keepalive = false;

    /* ...and forgets A's address and credentials. */
    bridge_counters before, after;
    counters(h, &before);
    inbox_clear(&b->rtp);
    inbox_clear(&a->stun);
    uint8_t buf[PKT_MAX];
    for (int i = 0; i < 3; i++) {
        size_t n = a_audio_packet(h, buf, 0xBB);
        peer_send_rtp(a, buf, n, NULL);
    }
    uint8_t txid[STUN_TXID_SIZE];
    peer_send_check(a, a->bridge_pwd, true, txid);
    pump(h, 300);
    CHECK_EQ_INT(count_rtp_ssrc(&b->rtp, SSRC_A_AUDIO), 0);
    CHECK(find_stun(a, txid) == NULL);
    counters(h, &after);
    CHECK_EQ_INT(after.dropped[MEDIA_DROP_UNKNOWN] - before.dropped[MEDIA_DROP_UNKNOWN], 3);
    CHECK_EQ_INT(after.dropped[MEDIA_DROP_UNKNOWN_UFRAG] - before.dropped[MEDIA_DROP_UNKNOWN_UFRAG], 1);
    CHECK(find_event(h, "endpoint-expired", "A") == NULL);   /* the focus knows already */

    /* The id is free again. */
    peer again = { .id = "A", .conference = "room1" };
    json_int_t id = h->next_id + 1;
    resp = allocate(h, &again);
    CHECK(is_response(resp, "allocate-ok", id));
    CHECK(strcmp(again.bridge_ufrag, a->bridge_ufrag) != 0);
    resp = simple_request(h, "expire", 903, "room1", "A");
    CHECK(is_response(resp, "expire-ok", 903));
}

/* 10. The bridge expires endpoints by itself: consent and fingerprint. */
static void scenario_self_expiry(harness *h, peer *b, peer *c, peer *d)
{
    /* C answered one check in scenario 2 and fell silent. */
    message *ev = wait_event(h, "endpoint-expired", "C", CONSENT_MS + 1000);
    CHECK(ev != NULL);
    if (ev) {
        CHECK_EQ_STR(jstr(ev->json, "conference"), "room2");
        CHECK_EQ_STR(jstr(ev->json, "reason"), "consent-timeout");
        int64_t after = ev->at_ms - c->last_check_ms;
        CHECK(after >= CONSENT_MS - 10);
        CHECK(after <= CONSENT_MS + 1000);
    }
    uint8_t txid[STUN_TXID_SIZE];
    peer_send_check(c, c->bridge_pwd, true, txid);
    pump(h, 50);
    CHECK(find_stun(c, txid) == NULL);
    json_t *resp = simple_request(h, "expire", 1000, "room2", "C");
    CHECK_EQ_STR(error_code(resp), "unknown-endpoint");
    /* B refreshed its consent all along. */
    CHECK(find_event(h, "endpoint-expired", "B") == NULL);

    /* D's certificate is not the one its answer named. */
    json_int_t id = h->next_id + 1;
    resp = allocate(h, d);
    CHECK(is_response(resp, "allocate-ok", id));
    CHECK(connectivity_check(h, d, true));
    resp = configure(h, d, 1001, dtls_ctx_fingerprint(b->ctx), json_array());
    CHECK(is_response(resp, "configure-ok", 1001));
    (void)handshake(h, d, 3000);
    ev = wait_event(h, "endpoint-expired", "D", 3000);
    CHECK(ev != NULL);
    if (ev)
        CHECK_EQ_STR(jstr(ev->json, "reason"), "fingerprint-mismatch");
    CHECK(find_event(h, "endpoint-connected", "D") == NULL);
    d->keepalive = false;
    d->silent = true;
}

/* Regression: a configure that arrives after the DTLS handshake with a
 * fingerprint that does not match expires the endpoint; nothing may touch
 * it afterwards (worker.c, apply_configure). */
static void regression_configure_after_dtls(harness *h, peer *e, peer *b)
{
    json_int_t id = h->next_id + 1;
    json_t *resp = allocate(h, e);
    CHECK(is_response(resp, "allocate-ok", id));
    CHECK(connectivity_check(h, e, true));
    CHECK(handshake(h, e, 3000));
    pump(h, 50);
    resp = configure(h, e, 1100, dtls_ctx_fingerprint(b->ctx), json_array());
    CHECK(is_response(resp, "configure-ok", 1100));
    message *ev = wait_event(h, "endpoint-expired", "E", 2000);
    CHECK(ev != NULL);
    if (ev)
        CHECK_EQ_STR(jstr(ev->json, "reason"), "fingerprint-mismatch");
    e->keepalive = false;
    e->silent = true;
}

/* Regression: a nominated check from a fifth address (ENDPOINT_MAX_PATHS is
 * 4) must evict an old path, so that expiring the endpoint leaves no address
 * map entry pointing at it (worker.c, remember_path and remove_endpoint). */
static void regression_fifth_path(harness *h, peer *f, peer *g)
{
    json_int_t id = h->next_id + 1;
    json_t *resp = allocate(h, f);
    CHECK(is_response(resp, "allocate-ok", id));
    /* Four valid checks from four other addresses fill ep->paths... */
    int extra[4];
    for (int i = 0; i < 4; i++) {
        extra[i] = udp_socket_on_loopback(NULL);
        uint8_t txid[STUN_TXID_SIZE], buf[512];
        size_t n = build_check(f, buf, sizeof buf, f->bridge_pwd, false, txid);
        send_to(extra[i], &f->bridge, buf, n);
    }
    /* ...and a nominated one from F's own socket is the fifth. */
    CHECK(connectivity_check(h, f, false));
    resp = simple_request(h, "expire", 1200, "room1", "F");
    CHECK(is_response(resp, "expire-ok", 1200));
    pump(h, 50);
    bridge_counters before, after;
    counters(h, &before);
    uint8_t junk[64] = { 0x80, 0x00 };
    peer_send_raw(f, junk, sizeof junk);      /* ASan: heap-use-after-free in handle_srtp */
    pump(h, 50);
    counters(h, &after);
    /* Correct behaviour: the address is unknown now. */
    CHECK_EQ_INT(after.dropped[MEDIA_DROP_UNKNOWN] - before.dropped[MEDIA_DROP_UNKNOWN], 1);
    for (int i = 0; i < 4; i++)
        close(extra[i]);

    /* Without ASan the freed memory is typically reused by the next endpoint,
     * G: F's stale address then reaches G's DTLS server, which answers G. */
    id = h->next_id + 1;
    resp = allocate(h, g);
    CHECK(is_response(resp, "allocate-ok", id));
    CHECK(connectivity_check(h, g, false));
    CHECK(!handshake(h, f, 300));             /* nobody may answer F */
    f->silent = true;
    pump(h, 50);
    CHECK_EQ_INT(g->unsolicited_dtls, 0);
}

/* ------------------------------------------------------------------ */
/* 11. Last-N: constraints, forwarded, screen sources                  */
/* ------------------------------------------------------------------ */

enum { LN_X, LN_Y, LN_Z, LN_R, LN_PEERS };

/* A Last-N test peer: microphone, camera and (Z only) a screen share. */
typedef struct ln_peer {
    peer *p;
    uint32_t audio, video, screen;     /* screen 0: none */
    uint16_t seq_a, seq_v, seq_s;      /* next sequence numbers */
    uint16_t last_a, last_v, last_s;   /* of the last round */
} ln_peer;

/* RTP with the harness's extensions; level_byte is the RFC 6464 byte (V bit
 * and level): 0x7F is silence, so the speaker order stays the join order. */
static size_t ln_rtp(uint8_t *buf, uint32_t ssrc, bool video, uint16_t seq, uint8_t level_byte)
{
    size_t n = make_rtp(buf, ssrc, video ? PT_VP8 : PT_OPUS, false, seq, (uint32_t)seq * (video ? 3000u : 960u),
                        (uint8_t)seq, video ? 120 : 40);
    buf[19] = level_byte;
    return n;
}

static json_t *ln_sources(const ln_peer *s, bool screen_flag)
{
    json_t *src = json_pack("[{s:I, s:s}, {s:I, s:s}]", "ssrc", (json_int_t)s->audio, "kind", "audio", "ssrc",
                            (json_int_t)s->video, "kind", "video");
    if (s->screen)
        json_array_append_new(src, json_pack("{s:I, s:s, s:b}", "ssrc", (json_int_t)s->screen, "kind", "video",
                                             "screen", screen_flag));
    return src;
}

/* One packet of every source of every live peer: video first, audio last,
 * so that a receiver holding a sender's audio proves the bridge handled that
 * sender's video before it (one socket each way, delivered in order). */
static void ln_round(ln_peer *s, const bool *live)
{
    uint8_t buf[PKT_MAX];
    for (int i = 0; i < LN_PEERS; i++) {
        if (!live[i])
            continue;
        s[i].last_v = s[i].seq_v++;
        peer_send_rtp(s[i].p, buf, ln_rtp(buf, s[i].video, true, s[i].last_v, 0x7F), NULL);
        if (s[i].screen) {
            s[i].last_s = s[i].seq_s++;
            peer_send_rtp(s[i].p, buf, ln_rtp(buf, s[i].screen, true, s[i].last_s, 0x7F), NULL);
        }
        s[i].last_a = s[i].seq_a++;
        peer_send_rtp(s[i].p, buf, ln_rtp(buf, s[i].audio, false, s[i].last_a, 0x7F), NULL);
    }
}

/* Whether receiver r holds the last round's audio of every live sender. */
static bool ln_has_audio(const ln_peer *s, const bool *live, int r)
{
    for (int i = 0; i < LN_PEERS; i++)
        if (i != r && live[i] && !find_rtp(&s[r].p->rtp, s[i].audio, s[i].last_a))
            return false;
    return true;
}

/* What receiver r got of the last round: every live sender's audio, its
 * camera when its bit is in cams, its screen when its bit is in screens. */
static void ln_check_round(harness *h, ln_peer *s, const bool *live, int r, unsigned cams, unsigned screens,
                           const char *what)
{
    bool ok;
    inbox *in = &s[r].p->rtp;
    WAIT_FOR(h, ok, ln_has_audio(s, live, r), 2000);
    if (!ok)
        fprintf(stderr, "last-n %s: %s lacks some audio\n", what, s[r].p->id);
    CHECK(ok);
    pump(h, 20);
    for (int i = 0; i < LN_PEERS; i++) {
        if (i == r || !live[i])
            continue;
        int cam = count_rtp_seq(in, s[i].video, s[i].last_v);
        int want = (cams >> i) & 1;
        if (cam != want)
            fprintf(stderr, "last-n %s: %s got %d of %s's camera, expected %d\n", what, s[r].p->id, cam, s[i].p->id,
                    want);
        CHECK_EQ_INT(cam, want);
        if (s[i].screen) {
            int scr = count_rtp_seq(in, s[i].screen, s[i].last_s);
            want = (screens >> i) & 1;
            if (scr != want)
                fprintf(stderr, "last-n %s: %s got %d of %s's screen, expected %d\n", what, s[r].p->id, scr,
                        s[i].p->id, want);
            CHECK_EQ_INT(scr, want);
        }
    }
    CHECK_EQ_INT(count_rtp_ssrc(in, s[r].audio) + count_rtp_ssrc(in, s[r].video), 0);   /* never echoed */
}

static json_t *ln_constraints(harness *h, const peer *p, json_int_t id, json_t *fields)
{
    json_t *req = json_pack("{s:s, s:I, s:s, s:s}", "type", "constraints", "id", id, "conference", p->conference,
                            "endpoint", p->id);
    json_object_update(req, fields);
    json_decref(fields);
    return request(h, req);
}

/* The next forwarded event about ep: this conference, exactly these
 * endpoint ids (in any order). */
static void ln_expect_forwarded(harness *h, const char *ep, int n, const char *const *want, const char *what)
{
    message *m = wait_event(h, "forwarded", ep, 1500);
    CHECK(m != NULL);
    if (!m) {
        fprintf(stderr, "last-n %s: no forwarded event for %s\n", what, ep);
        return;
    }
    json_t *eps = json_object_get(m->json, "endpoints");
    CHECK_EQ_STR(jstr(m->json, "conference"), "lastn");
    bool ok = json_is_array(eps) && json_array_size(eps) == (size_t)n;
    for (int i = 0; ok && i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < json_array_size(eps); j++)
            found |= json_string_value(json_array_get(eps, j)) &&
                     strcmp(json_string_value(json_array_get(eps, j)), want[i]) == 0;
        ok = found;
    }
    if (!ok) {
        char *d = json_dumps(m->json, JSON_COMPACT);
        fprintf(stderr, "last-n %s: forwarded %s, expected %d endpoints starting %s\n", what, d ? d : "?", n,
                n ? want[0] : "-");
        free(d);
    }
    CHECK(ok);
}

/* Waits for a PLI naming ssrc in p's RTCP inbox. */
static bool ln_wait_pli(harness *h, peer *p, uint32_t ssrc, int ms)
{
    bool ok;
    WAIT_FOR(h, ok, count_pli(&p->rtcp, ssrc, NULL, NULL) > 0, ms);
    return ok;
}

/* Sends non-nominating checks, as a browser retransmits them, until one is
 * answered: the worker reads its socket before its command queue, so a check
 * sent right after allocate-ok can arrive before the endpoint exists there
 * and is then silently dropped. */
static bool ln_await_endpoint(harness *h, peer *p)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        uint8_t txid[STUN_TXID_SIZE];
        peer_send_check(p, p->bridge_pwd, false, txid);
        if (wait_stun(h, p, txid, 150) != NULL)
            return true;
    }
    return false;
}

static void ln_clear(ln_peer *s)
{
    for (int i = 0; i < LN_PEERS; i++) {
        inbox_clear(&s[i].p->rtp);
        inbox_clear(&s[i].p->rtcp);
    }
}

static void scenario_last_n(harness *h)
{
    static const char *const ids[LN_PEERS] = { "LX", "LY", "LZ", "LR" };
    ln_peer s[LN_PEERS];
    bool live[LN_PEERS] = { true, true, true, true };
    const unsigned X = 1u << LN_X, Y = 1u << LN_Y, Z = 1u << LN_Z, R = 1u << LN_R;
    memset(s, 0, sizeof s);
    for (int i = 0; i < LN_PEERS; i++) {
        s[i].p = peer_new(h, ids[i], "lastn");
        CHECK(s[i].p != NULL);
        if (!s[i].p)
            return;
        s[i].audio = 0x61000000u + (uint32_t)i * 16u + 1u;
        s[i].video = 0x61000000u + (uint32_t)i * 16u + 2u;
        s[i].screen = i == LN_Z ? 0x61000000u + (uint32_t)i * 16u + 3u : 0;
        s[i].seq_a = s[i].seq_v = s[i].seq_s = (uint16_t)(100 * (i + 1));
    }
    /* They join in the order X, Y, Z, R and all connect. */
    bool connected = true;
    for (int i = 0; i < LN_PEERS; i++) {
        json_int_t id = h->next_id + 1;
        json_t *resp = allocate(h, s[i].p);
        CHECK(is_response(resp, "allocate-ok", id));
        /* A check that reaches the worker before the new endpoint does is
         * dropped (see ln_await_endpoint): retry like a browser first. */
        CHECK(ln_await_endpoint(h, s[i].p));
        CHECK(connectivity_check(h, s[i].p, true));
        id = ++h->next_id;
        resp = configure(h, s[i].p, id, dtls_ctx_fingerprint(s[i].p->ctx), ln_sources(&s[i], true));
        CHECK(is_response(resp, "configure-ok", id));
        bool ok = handshake(h, s[i].p, 3000) && wait_event(h, "endpoint-connected", ids[i], 3000) != NULL;
        CHECK(ok);
        connected &= ok;
    }
    if (!connected)
        return;
    json_int_t id;
    json_t *resp;

    /* Endpoint ids are any 1-63 bytes the focus chooses: a forwarded event
     * names whole endpoint ids, at most last_n of them. (No media needed:
     * the set is computed from the conference's endpoints.) */
    static const char *const spaced = "cam one";
    json_int_t base = h->next_id;
    resp = simple_request(h, "allocate", base + 1, "lastn-ids", spaced);
    CHECK(is_response(resp, "allocate-ok", base + 1));
    resp = simple_request(h, "allocate", base + 2, "lastn-ids", "viewer");
    CHECK(is_response(resp, "allocate-ok", base + 2));
    resp = request(h, json_pack("{s:s, s:I, s:s, s:s, s:i}", "type", "constraints", "id", base + 3, "conference",
                                "lastn-ids", "endpoint", "viewer", "last_n", 1));
    CHECK(is_response(resp, "constraints-ok", base + 3));
    message *m = wait_event(h, "forwarded", "viewer", 1500);
    CHECK(m != NULL);
    if (m) {
        json_t *eps = json_object_get(m->json, "endpoints");
        bool whole = json_is_array(eps) && json_array_size(eps) <= 1;
        for (size_t i = 0; whole && i < json_array_size(eps); i++)
            whole = json_string_value(json_array_get(eps, i)) &&
                    strcmp(json_string_value(json_array_get(eps, i)), spaced) == 0;
        if (!whole) {
            char *d = json_dumps(m->json, JSON_COMPACT);
            fprintf(stderr, "last-n: with last_n 1 and one other endpoint \"%s\", the bridge reported %s "
                    "(worker.c report_forwarded joins ids with spaces, control.c splits them again)\n", spaced,
                    d ? d : "?");
            free(d);
        }
        CHECK(whole);
    }
    resp = simple_request(h, "expire", base + 4, "lastn-ids", spaced);
    CHECK(is_response(resp, "expire-ok", base + 4));
    resp = simple_request(h, "expire", base + 5, "lastn-ids", "viewer");
    CHECK(is_response(resp, "expire-ok", base + 5));
    h->next_id = base + 5;

    /* Without constraints everything flows and nobody hears of Last-N. */
    pump(h, 1000);                     /* also past R's key-frame budget from its connection */
    for (int i = 0; i < LN_PEERS; i++)
        CHECK(find_event(h, "forwarded", ids[i]) == NULL);
    ln_clear(s);
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, X | Y | Z, Z, "no constraints");

    /* last_n 1 for R: the first to join, X (nobody has spoken); X is asked
     * for a keyframe; R gets X's camera only, but Z's screen and everyone's
     * audio; the others still get every camera. */
    ln_clear(s);
    id = ++h->next_id;
    resp = ln_constraints(h, s[LN_R].p, id, json_pack("{s:i}", "last_n", 1));
    CHECK(is_response(resp, "constraints-ok", id));
    ln_expect_forwarded(h, "LR", 1, (const char *const[]){ "LX" }, "last_n 1");
    CHECK(ln_wait_pli(h, s[LN_X].p, s[LN_X].video, 2000));
    CHECK_EQ_INT(count_pli(&s[LN_Y].p->rtcp, s[LN_Y].video, NULL, NULL), 0);
    CHECK_EQ_INT(count_pli(&s[LN_Z].p->rtcp, s[LN_Z].video, NULL, NULL), 0);
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, X, Z, "last_n 1");
    ln_check_round(h, s, live, LN_X, Y | Z | R, Z, "last_n 1, another receiver");
    ln_check_round(h, s, live, LN_Z, X | Y | R, 0, "last_n 1, another receiver");
    pump(h, 50);
    CHECK(find_event(h, "forwarded", "LR") == NULL);   /* one event per change */
    for (int i = 0; i < LN_R; i++)
        CHECK(find_event(h, "forwarded", ids[i]) == NULL);

    /* selected [Y]: Y instead, with a keyframe. */
    ln_clear(s);
    id = ++h->next_id;
    resp = ln_constraints(h, s[LN_R].p, id, json_pack("{s:i, s:[s]}", "last_n", 1, "selected", "LY"));
    CHECK(is_response(resp, "constraints-ok", id));
    ln_expect_forwarded(h, "LR", 1, (const char *const[]){ "LY" }, "selected Y");
    CHECK(ln_wait_pli(h, s[LN_Y].p, s[LN_Y].video, 2000));
    CHECK_EQ_INT(count_pli(&s[LN_Z].p->rtcp, s[LN_Z].video, NULL, NULL), 0);
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, Y, Z, "selected Y");

    /* The first selected wins a single slot; two slots: the selected, then
     * the join order. */
    ln_clear(s);
    id = ++h->next_id;
    resp = ln_constraints(h, s[LN_R].p, id, json_pack("{s:i, s:[s, s]}", "last_n", 1, "selected", "LZ", "LY"));
    CHECK(is_response(resp, "constraints-ok", id));
    ln_expect_forwarded(h, "LR", 1, (const char *const[]){ "LZ" }, "selected Z, Y");
    CHECK(ln_wait_pli(h, s[LN_Z].p, s[LN_Z].video, 2000));
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, Z, Z, "selected Z, Y");
    id = ++h->next_id;
    resp = ln_constraints(h, s[LN_R].p, id, json_pack("{s:i, s:[s]}", "last_n", 2, "selected", "LZ"));
    CHECK(is_response(resp, "constraints-ok", id));
    ln_expect_forwarded(h, "LR", 2, (const char *const[]){ "LZ", "LX" }, "last_n 2, selected Z");
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, X | Z, Z, "last_n 2, selected Z");

    /* Selecting oneself or an unknown endpoint takes no slot. */
    id = ++h->next_id;
    resp = ln_constraints(h, s[LN_R].p, id, json_pack("{s:i, s:[s, s]}", "last_n", 1, "selected", "LR", "nobody"));
    CHECK(is_response(resp, "constraints-ok", id));
    ln_expect_forwarded(h, "LR", 1, (const char *const[]){ "LX" }, "selected self, unknown");
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, X, Z, "selected self, unknown");

    /* last_n 0: no camera at all; the screen share and audio still flow. */
    id = ++h->next_id;
    resp = ln_constraints(h, s[LN_R].p, id, json_pack("{s:i, s:[]}", "last_n", 0, "selected"));
    CHECK(is_response(resp, "constraints-ok", id));
    ln_expect_forwarded(h, "LR", 0, NULL, "last_n 0");
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, 0, Z, "last_n 0");
    /* The screen flag is what exempts it: unflagged, it is held back like a
     * camera; flagged again, it flows again. */
    id = ++h->next_id;
    resp = configure(h, s[LN_Z].p, id, dtls_ctx_fingerprint(s[LN_Z].p->ctx), ln_sources(&s[LN_Z], false));
    CHECK(is_response(resp, "configure-ok", id));
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, 0, 0, "last_n 0, screen unflagged");
    ln_check_round(h, s, live, LN_X, Y | Z | R, Z, "last_n 0, screen unflagged, another receiver");
    id = ++h->next_id;
    resp = configure(h, s[LN_Z].p, id, dtls_ctx_fingerprint(s[LN_Z].p->ctx), ln_sources(&s[LN_Z], true));
    CHECK(is_response(resp, "configure-ok", id));
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, 0, Z, "last_n 0, screen flagged again");

    /* Malformed constraints: bad-request with the request's id; nothing
     * changes (R still gets no camera). */
    pump(h, 50);
    for (int i = 0; i < LN_PEERS; i++)
        CHECK(find_event(h, "forwarded", ids[i]) == NULL);
    json_t *bad[] = {
        json_pack("{s:i}", "last_n", 1001),
        json_pack("{s:i}", "last_n", -2),
        json_pack("{s:s}", "last_n", "1"),
        json_pack("{s:f}", "last_n", 1.5),
        json_pack("{s:i, s:s}", "last_n", 1, "selected", "LX"),
        json_pack("{s:i, s:{s:s}}", "last_n", 1, "selected", "0", "LX"),
        json_pack("{s:i, s:[i]}", "last_n", 1, "selected", 7),
        json_pack("{s:i, s:[s, s, s, s, s, s, s, s, s]}", "last_n", 1, "selected", "a", "b", "c", "d", "e", "f",
                  "g", "h", "LX"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        id = ++h->next_id;
        char *d = json_dumps(bad[i], JSON_COMPACT);
        resp = ln_constraints(h, s[LN_R].p, id, bad[i]);
        if (!error_code(resp) || strcmp(error_code(resp), "bad-request") != 0)
            fprintf(stderr, "last-n: constraints %s was not refused with bad-request\n", d ? d : "?");
        free(d);
        CHECK_EQ_STR(error_code(resp), "bad-request");
        CHECK_EQ_INT(json_integer_value(json_object_get(resp, "id")), id);
    }
    id = ++h->next_id;
    resp = request(h, json_pack("{s:s, s:I, s:s, s:s, s:i}", "type", "constraints", "id", id, "conference", "lastn",
                                "endpoint", "nobody", "last_n", 1));
    CHECK_EQ_STR(error_code(resp), "unknown-endpoint");
    CHECK_EQ_INT(json_integer_value(json_object_get(resp, "id")), id);
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, 0, Z, "after refused constraints");
    for (int i = 0; i < LN_PEERS; i++)
        CHECK(find_event(h, "forwarded", ids[i]) == NULL);

    /* last_n -1: every camera again, each newly forwarded sender asked for
     * a keyframe, and R told that it now gets all three (a second after
     * R's last requests: its key-frame budget is one per second per source). */
    pump(h, 1000);
    ln_clear(s);
    id = ++h->next_id;
    resp = ln_constraints(h, s[LN_R].p, id, json_pack("{s:i}", "last_n", -1));
    CHECK(is_response(resp, "constraints-ok", id));
    ln_expect_forwarded(h, "LR", 3, (const char *const[]){ "LX", "LY", "LZ" }, "last_n -1");
    for (int i = 0; i < LN_R; i++)
        CHECK(ln_wait_pli(h, s[i].p, s[i].video, 2000));
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, X | Y | Z, Z, "last_n -1");

    /* The most recent speaker comes before the join order: Y talks, becomes
     * the dominant speaker, and takes R's single slot from X. */
    id = ++h->next_id;
    resp = ln_constraints(h, s[LN_R].p, id, json_pack("{s:i}", "last_n", 1));
    CHECK(is_response(resp, "constraints-ok", id));
    ln_expect_forwarded(h, "LR", 1, (const char *const[]){ "LX" }, "last_n 1 again");
    pump(h, 1000);                     /* past R's key-frame budget (one per second per source) */
    ln_clear(s);
    uint8_t buf[PKT_MAX];
    static const uint8_t talk[5] = { 0x94, 0x9E, 0x8F, 0xA3, 0x46 };   /* -20..-35 dBov, one quiet packet */
    int64_t talk_end = now_ms() + 4000;
    message *dom = NULL;
    for (int k = 0; now_ms() < talk_end && !(dom = find_event(h, "dominant-speaker", "LY")); k++) {
        s[LN_Y].last_a = s[LN_Y].seq_a++;
        peer_send_rtp(s[LN_Y].p, buf, ln_rtp(buf, s[LN_Y].audio, false, s[LN_Y].last_a, talk[k % 5]), NULL);
        pump(h, 20);
    }
    CHECK(dom != NULL);
    if (dom)
        dom->taken = true;
    ln_expect_forwarded(h, "LR", 1, (const char *const[]){ "LY" }, "Y spoke");
    CHECK(ln_wait_pli(h, s[LN_Y].p, s[LN_Y].video, 2000));
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, Y, Z, "Y spoke");

    /* The forwarded one leaves: the slot goes to the next (X), reported. */
    id = ++h->next_id;
    resp = simple_request(h, "expire", id, "lastn", "LY");
    CHECK(is_response(resp, "expire-ok", id));
    s[LN_Y].p->keepalive = false;
    s[LN_Y].p->silent = true;
    live[LN_Y] = false;
    ln_expect_forwarded(h, "LR", 1, (const char *const[]){ "LX" }, "Y left");
    ln_round(s, live);
    ln_check_round(h, s, live, LN_R, X, Z, "Y left");

    for (int i = 0; i < LN_PEERS; i++) {
        if (i != LN_Y) {
            id = ++h->next_id;
            resp = simple_request(h, "expire", id, "lastn", ids[i]);
            CHECK(is_response(resp, "expire-ok", id));
        }
        s[i].p->keepalive = false;
        s[i].p->silent = true;
    }
    pump(h, 50);
}

/* ------------------------------------------------------------------ */


/* ------------------------------------------------------------------ */
/* Simulcast: three layers in, one stream out per receiver.            */

#define SIM_V 0x71000001u              /* the made-up SSRCs receivers know */
#define SIM_VR 0x71000002u
#define SIM_AUDIO_R 0x71000010u
#define SIM_LAYER0_RTX 0x72000011u             /* declared for layer 0 (layer_rtx) */
#define SIM_LAYER2_RTX 0x72000013u

static const char *const sim_rids[3] = { "l", "m", "h" };
static const uint16_t sim_heights[3] = { 180, 360, 720 };

typedef struct sim_sender {
    peer *p;
    uint32_t ssrc[3];                  /* the layers' own SSRCs, unknown to the bridge at first */
    uint16_t seq[3];
    uint32_t ts[3];
    uint16_t picture_id[3];
} sim_sender;

/* A VP8 packet of layer k: one frame per packet; the rid extension (id 5)
 * names the layer; the payload says which layer and frame it was. */
static size_t sim_packet(sim_sender *s, int k, bool keyframe, uint8_t *buf)
{
    uint8_t *p = buf;
    p[0] = 0x90;
    p[1] = 0x80 | PT_VP8;
    wr16(p + 2, s->seq[k]);
    wr32(p + 4, s->ts[k]);
    wr32(p + 8, s->ssrc[k]);
    /* One-byte extensions: rid (1 byte), transport-wide seq; padded to 8. */
    static uint16_t tw;
    uint8_t ext[8] = { (5 << 4) | 0, (uint8_t)sim_rids[k][0], (EXT_TWCC << 4) | 1, 0, 0, 0, 0, 0 };
    wr16(ext + 3, tw++);
    memcpy(p + 12, (uint8_t[]){ 0xBE, 0xDE, 0x00, 0x02 }, 4);
    memcpy(p + 16, ext, 8);
    size_t n = 24;
    /* VP8 descriptor: X, S, PID 0; I with a 15-bit PictureID. */
    p[n++] = 0x90;
    p[n++] = 0x80;
    p[n++] = (uint8_t)(0x80 | (s->picture_id[k] >> 8));
    p[n++] = (uint8_t)s->picture_id[k];
    /* VP8 payload header: P = 0 for a key frame, then the key frame's start
     * code and 14-bit width and height. */
    p[n++] = keyframe ? 0x10 : 0x11;
    p[n++] = 0x00;
    p[n++] = 0x00;
    if (keyframe) {
        uint16_t height = sim_heights[k], width = (uint16_t)(height * 16 / 9);
        p[n++] = 0x9d;
        p[n++] = 0x01;
        p[n++] = 0x2a;
        p[n++] = (uint8_t)width;
        p[n++] = (uint8_t)(width >> 8);
        p[n++] = (uint8_t)height;
        p[n++] = (uint8_t)(height >> 8);
    }
    p[n++] = (uint8_t)('A' + k);       /* which layer */
    p[n++] = (uint8_t)s->seq[k];       /* which packet */
    for (int i = 0; i < 40; i++)
        p[n++] = (uint8_t)i;
    s->seq[k]++;
    s->ts[k] += 3000;
    s->picture_id[k] = (uint16_t)((s->picture_id[k] + 1) & 0x7FFF);
    return n;
}

/* One frame of every layer; a key frame on those whose bit is in keys. */
static void sim_round(sim_sender *s, unsigned keys)
{
    uint8_t buf[PKT_MAX];
    for (int k = 0; k < 3; k++)
        peer_send_rtp(s->p, buf, sim_packet(s, k, (keys >> k) & 1, buf), NULL);
}

/* The layer (0..2) and stream sequence number of the last V packet r got,
 * from the payload mark; -1 when none. */
static int sim_last(const peer *r, uint16_t *seq, uint32_t *ts)
{
    int layer = -1;
    for (size_t i = 0; i < r->rtp.n; i++) {
        rtp_header h;
        if (rtp_parse(r->rtp.items[i].data, r->rtp.items[i].len, &h) < 0 || h.ssrc != SIM_V)
            continue;
        const uint8_t *pl = r->rtp.items[i].data + h.header_len;
        bool key = (pl[4] & 1) == 0;
        layer = pl[key ? 14 : 7] - 'A';
        if (seq)
            *seq = h.seq;
        if (ts)
            *ts = h.timestamp;
    }
    return layer;
}

/* Sends rounds, answering the bridge's PLIs with key frames of the layer
 * named, until r's latest V packet is of layer want. */
static bool sim_until_layer(harness *h, sim_sender *s, peer *r, int want, int rounds)
{
    for (int i = 0; i < rounds; i++) {
        unsigned keys = 0;
        for (int k = 0; k < 3; k++)
            if (count_pli(&s->p->rtcp, s->ssrc[k], NULL, NULL) > 0)
                keys |= 1u << k;
        inbox_clear(&s->p->rtcp);
        sim_round(s, keys);
        pump(h, 20);
        if (sim_last(r, NULL, NULL) == want)
            return true;
    }
    return false;
}

static void scenario_simulcast(harness *h)
{
    sim_sender s = { .ssrc = { 0x72000001u, 0x72000002u, 0x72000003u }, .seq = { 100, 2000, 30000 },
                     .ts = { 5000, 70000, 900000 }, .picture_id = { 10, 2000, 32760 } };
    peer *r;
    s.p = peer_new(h, "SA", "sim");
    r = peer_new(h, "SR", "sim");
    CHECK(s.p && r);
    if (!s.p || !r)
        return;
    peer *both[2] = { s.p, r };
    for (int i = 0; i < 2; i++) {
        json_int_t id = h->next_id + 1;
        CHECK(is_response(allocate(h, both[i]), "allocate-ok", id));
        CHECK(ln_await_endpoint(h, both[i]));
        CHECK(connectivity_check(h, both[i], true));
        id = ++h->next_id;
        json_t *sources = i == 0 ? json_pack("[{s:I, s:s, s:I, s:[s,s,s]}]", "ssrc", (json_int_t)SIM_V, "kind",
                                             "video", "rtx", (json_int_t)SIM_VR, "rids", "l", "m", "h")
                                 : json_pack("[{s:I, s:s}]", "ssrc", (json_int_t)SIM_AUDIO_R, "kind", "audio");
        CHECK(is_response(configure(h, both[i], id, dtls_ctx_fingerprint(both[i]->ctx), sources), "configure-ok", id));
        bool ok = handshake(h, both[i], 3000) && wait_event(h, "endpoint-connected", both[i]->id, 3000) != NULL;
        CHECK(ok);
        if (!ok)
            return;
    }
    /* Too many layers, a bad rid, rids on audio: refused. */
    json_int_t id = ++h->next_id;
    json_t *resp = configure(h, s.p, id, dtls_ctx_fingerprint(s.p->ctx),
                             json_pack("[{s:I, s:s, s:[s,s,s,s]}]", "ssrc", (json_int_t)SIM_V, "kind", "video",
                                       "rids", "a", "b", "c", "d"));
    CHECK_EQ_STR(error_code(resp), "bad-request");
    id = ++h->next_id;
    resp = configure(h, s.p, id, dtls_ctx_fingerprint(s.p->ctx),
                     json_pack("[{s:I, s:s, s:[s]}]", "ssrc", (json_int_t)SIM_V, "kind", "audio", "rids", "l"));
    CHECK_EQ_STR(error_code(resp), "bad-request");
    id = ++h->next_id;
    resp = configure(h, s.p, id, dtls_ctx_fingerprint(s.p->ctx),
                     json_pack("[{s:I, s:s, s:[s,s]}]", "ssrc", (json_int_t)SIM_V, "kind", "video", "rids", "l", "l"));
    CHECK_EQ_STR(error_code(resp), "bad-request");

    /* Every layer flows; nothing says how large R shows it and R's estimate
     * starts at 1 Mbit/s: R gets the tallest layer, under SIM_V, from a key
     * frame on — never a layer's own SSRC. */
    sim_round(&s, 7);
    bool ok = sim_until_layer(h, &s, r, 2, 60);
    CHECK(ok);
    for (int k = 0; k < 3; k++)
        CHECK_EQ_INT(count_rtp_ssrc(&r->rtp, s.ssrc[k]), 0);
    uint16_t seq0 = 0;
    uint32_t ts0 = 0;
    sim_last(r, &seq0, &ts0);
    for (int i = 0; i < 5; i++)
        sim_round(&s, 0);
    pump(h, 60);
    uint16_t seq1 = 0;
    uint32_t ts1 = 0;
    CHECK_EQ_INT(sim_last(r, &seq1, &ts1), 2);
    CHECK_EQ_INT((uint16_t)(seq1 - seq0), 5);                /* one per frame, no gap */
    CHECK_EQ_INT(ts1 - ts0, 5 * 3000u);

    /* R shows the camera 180 px tall: the smallest layer that tall, at its
     * next key frame; the stream goes on where it was. */
    id = ++h->next_id;
    resp = ln_constraints(h, r, id, json_pack("{s:i, s:{s:i}}", "last_n", -1, "heights", "SA", 180));
    CHECK(is_response(resp, "constraints-ok", id));
    inbox_clear(&r->rtp);
    ok = sim_until_layer(h, &s, r, 0, 60);
    CHECK(ok);
    uint16_t seq2 = 0;
    uint32_t ts2 = 0;
    sim_last(r, &seq2, &ts2);
    rtp_header first;
    CHECK(r->rtp.n > 0 && rtp_parse(r->rtp.items[0].data, r->rtp.items[0].len, &first) == 0);
    /* Layer 2 until the switch, then layer 0: consecutive numbers throughout. */
    uint16_t expect_seq = first.seq;
    bool consecutive = true;
    for (size_t i = 0; i < r->rtp.n; i++) {
        rtp_header hd;
        if (rtp_parse(r->rtp.items[i].data, r->rtp.items[i].len, &hd) == 0 && hd.ssrc == SIM_V)
            consecutive &= hd.seq == expect_seq++;
    }
    CHECK(consecutive);
    CHECK((int32_t)(ts2 - ts1) > 0);

    /* R lost a packet: its NACK for SIM_V is answered on SIM_VR with the
     * layer-0 packet it was made from, renumbered as R knows it. */
    uint8_t fb[128], pkt[256];
    size_t n = rtcp_build_nack(fb, sizeof fb, 0x5151u, SIM_V, &seq2, 1);
    peer_send_rtcp(r, pkt, rr_plus(pkt, sizeof pkt, 0x5151u, fb, n));
    bool got_rtx = false;
    for (int i = 0; i < 50 && !got_rtx; i++) {
        pump(h, 10);
        for (size_t j = 0; j < r->rtp.n && !got_rtx; j++) {
            rtx_info info;
            got_rtx = rtx_parse(r->rtp.items[j].data, r->rtp.items[j].len, &info) == 0 &&
                      info.hdr.ssrc == SIM_VR && info.osn == seq2;
        }
    }
    CHECK(got_rtx);

    /* Layer RTX streams declared as FID pairs (Firefox's answer; configure's
     * layer_rtx): SA resends a layer-0 packet the bridge never got, on the
     * RTX SSRC declared for layer 0 and without repaired-rid: restored, it
     * reaches R under SIM_V. An RTX SSRC another endpoint uses is refused. */
    bridge_counters declared_before, declared_after;
    counters(h, &declared_before);
    id = ++h->next_id;
    resp = configure(h, s.p, id, dtls_ctx_fingerprint(s.p->ctx),
                     json_pack("[{s:I, s:s, s:I, s:[s,s,s], s:[{s:I, s:I}, {s:I, s:I}, {s:I, s:I}]}]", "ssrc",
                               (json_int_t)SIM_V, "kind", "video", "rtx", (json_int_t)SIM_VR, "rids", "l", "m", "h",
                               "layer_rtx", "ssrc", (json_int_t)s.ssrc[0], "rtx", (json_int_t)SIM_LAYER0_RTX, "ssrc",
                               (json_int_t)s.ssrc[1], "rtx", (json_int_t)SIM_AUDIO_R, "ssrc", (json_int_t)s.ssrc[2],
                               "rtx", (json_int_t)SIM_LAYER2_RTX));
    CHECK(is_response(resp, "configure-ok", id));
    id = ++h->next_id;
    resp = configure(h, s.p, id, dtls_ctx_fingerprint(s.p->ctx),
                     json_pack("[{s:I, s:s, s:[s], s:[{s:I, s:I}]}]", "ssrc", (json_int_t)SIM_V, "kind", "video",
                               "rids", "l", "layer_rtx", "ssrc", (json_int_t)5, "rtx", (json_int_t)5));
    CHECK_EQ_STR(error_code(resp), "bad-request");
    uint8_t lost[PKT_MAX], rtx_pkt[PKT_MAX];
    size_t lost_len = sim_packet(&s, 0, false, lost);   /* never reaches the bridge */
    uint16_t lost_seq = (uint16_t)(s.seq[0] - 1);
    lost[16] = lost[17] = 0;                            /* no rid: padding bytes in its place */
    size_t rtx_len = 0;
    CHECK_EQ_INT(rtx_build(lost, lost_len, SIM_LAYER0_RTX, SDP_PT_VP8_RTX, 9, rtx_pkt, sizeof rtx_pkt, &rtx_len),
                 RTX_OK);
    sim_round(&s, 0);
    pump(h, 40);
    inbox_clear(&r->rtp);
    peer_send_rtp(s.p, rtx_pkt, rtx_len, NULL);
    bool restored = false;
    for (int i = 0; i < 30 && !restored; i++) {
        pump(h, 10);
        for (size_t j = 0; j < r->rtp.n && !restored; j++) {
            rtp_header hd;
            if (rtp_parse(r->rtp.items[j].data, r->rtp.items[j].len, &hd) < 0 || hd.ssrc != SIM_V ||
                hd.payload_len < 9)
                continue;
            const uint8_t *pl = r->rtp.items[j].data + hd.header_len;
            restored = pl[7] == 'A' && pl[8] == (uint8_t)lost_seq;
        }
    }
    CHECK(restored);
    counters(h, &declared_after);
    CHECK_EQ_INT(declared_after.dropped[MEDIA_DROP_FOREIGN_SSRC] - declared_before.dropped[MEDIA_DROP_FOREIGN_SSRC], 1);

    /* R's PLI for SIM_V asks SA for a key frame of layer 0 only. */
    inbox_clear(&s.p->rtcp);
    pump(h, 1000);                         /* past R's key-frame budget for layer 0 (one per second) */
    inbox_clear(&s.p->rtcp);
    n = rtcp_build_pli(fb, sizeof fb, 0x5151u, SIM_V);
    peer_send_rtcp(r, pkt, rr_plus(pkt, sizeof pkt, 0x5151u, fb, n));
    WAIT_FOR(h, ok, count_pli(&s.p->rtcp, s.ssrc[0], NULL, NULL) > 0, 1000);
    CHECK(ok);
    CHECK_EQ_INT(count_pli(&s.p->rtcp, s.ssrc[1], NULL, NULL) + count_pli(&s.p->rtcp, s.ssrc[2], NULL, NULL), 0);
    CHECK_EQ_INT(count_pli(&s.p->rtcp, SIM_V, NULL, NULL), 0);

    /* Not shown (height 0): nothing of that camera is sent. */
    id = ++h->next_id;
    resp = ln_constraints(h, r, id, json_pack("{s:i, s:{s:i}}", "last_n", -1, "heights", "SA", 0));
    CHECK(is_response(resp, "constraints-ok", id));
    pump(h, 250);
    inbox_clear(&r->rtp);
    for (int i = 0; i < 5; i++)
        sim_round(&s, 7);
    pump(h, 100);
    CHECK_EQ_INT(count_rtp_ssrc(&r->rtp, SIM_V), 0);

    /* A packet naming no layer of SA's is dropped, not forwarded. */
    bridge_counters before, after;
    counters(h, &before);
    uint8_t buf[PKT_MAX];
    size_t len = sim_packet(&s, 0, false, buf);
    wr32(buf + 8, 0x7300000Fu);
    buf[17] = 'z';
    peer_send_rtp(s.p, buf, len, NULL);
    pump(h, 100);
    counters(h, &after);
    CHECK(after.dropped[MEDIA_DROP_UNKNOWN] > before.dropped[MEDIA_DROP_UNKNOWN]);
}

/* ------------------------------------------------------------------ */
/* 13. Relays: the test plays the far bridge                           */
/* ------------------------------------------------------------------ */

#define FAR_MARK 0xF0                  /* docs/protocol.md, "The relay on the wire" */
#define FAR_HEADER 4
#define FAR_CHANNEL 77                 /* the channel we give the bridge */
#define FAR_SSRC 0x7E000001u           /* our relay RTCP SSRC */
#define RELAY_P_AUDIO 0x7A000001u      /* P's microphone, on the bridge under test */
#define RELAY_P_VIDEO 0x7A000002u      /* P's camera */
#define RELAY_T_AUDIO 0x7B000001u      /* far1's microphone, on the far bridge */
#define RELAY_T2_AUDIO 0x7B000002u     /* far1's microphone after a renegotiation */
#define RELAY_UNDECLARED 0x7B0000FFu   /* an SSRC no proxy declared */
#define FAR_KEY 28                     /* AES-128-GCM key and salt */

/* The far bridge: one UDP socket, the relay's SRTP contexts and what it
 * received (after checking the relay header and decrypting). */
typedef struct far_bridge {
    int fd;
    struct sockaddr_in self;
    struct sockaddr_in bridge;         /* where the bridge receives the relay */
    uint32_t bridge_channel;           /* what our datagrams carry: the bridge chose it */
    uint32_t channel;                  /* what the bridge's datagrams must carry: we chose it */
    stoa_srtp srtp;
    bool srtp_ready;
    inbox rtp, rtcp;
    int bad_mark, wrong_channel, undecryptable, stray, datagrams;
} far_bridge;

static void hex_of(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Our contexts for a relay-open that gave the bridge keys {send, receive}:
 * we protect with the bridge's receive key and open with its send key. */
static bool far_keys(far_bridge *f, const uint8_t bridge_send[FAR_KEY], const uint8_t bridge_receive[FAR_KEY])
{
    if (f->srtp_ready)
        stoa_srtp_free(&f->srtp);
    stoa_srtp_keys k = { .profile = STOA_SRTP_AEAD_AES_128_GCM, .key_len = 16, .salt_len = 12 };
    memcpy(k.local, bridge_receive, FAR_KEY);
    memcpy(k.remote, bridge_send, FAR_KEY);
    f->srtp_ready = stoa_srtp_init(&f->srtp, &k) == 0;
    return f->srtp_ready;
}

static bool far_new(far_bridge *f, uint32_t channel)
{
    memset(f, 0, sizeof *f);
    f->channel = channel;
    f->fd = udp_socket_on_loopback(&f->self);
    return f->fd >= 0;
}

static void far_free(far_bridge *f)
{
    if (f->srtp_ready)
        stoa_srtp_free(&f->srtp);
    if (f->fd >= 0)
        close(f->fd);
    inbox_free(&f->rtp);
    inbox_free(&f->rtcp);
}

/* Reads what arrived: each datagram must come from the bridge's relay
 * port, start with the mark and our channel, and open under its send key. */
static void far_service(far_bridge *f)
{
    for (;;) {
        uint8_t buf[PKT_MAX];
        struct sockaddr_in from;
        socklen_t from_len = sizeof from;
        ssize_t got = recvfrom(f->fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
        if (got < 0)
            break;
        f->datagrams++;
        if (from.sin_addr.s_addr != f->bridge.sin_addr.s_addr || from.sin_port != f->bridge.sin_port)
            f->stray++;
        size_t len = (size_t)got;
        if (len < FAR_HEADER + 8 || buf[0] != FAR_MARK) {
            f->bad_mark++;
            continue;
        }
        if ((((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) | buf[3]) != f->channel) {
            f->wrong_channel++;
            continue;
        }
        uint8_t *pkt = buf + FAR_HEADER;
        len -= FAR_HEADER;
        if (!f->srtp_ready) {
            f->undecryptable++;
        } else if (rtp_is_rtcp(pkt, len)) {
            if (stoa_srtp_unprotect_rtcp(&f->srtp, pkt, &len) == 0)
                inbox_push(&f->rtcp, pkt, len);
            else
                f->undecryptable++;
        } else if (stoa_srtp_unprotect_rtp(&f->srtp, pkt, &len) == 0) {
            inbox_push(&f->rtp, pkt, len);
        } else {
            f->undecryptable++;
        }
    }
}

/* Pumps until cond holds or ms pass, reading the far bridge's socket too. */
#define FAR_WAIT(h, f, ok, cond, ms) WAIT_FOR((h), (ok), (far_service(f), (cond)), (ms))

static void far_pump(harness *h, far_bridge *f, int ms)
{
    int64_t end = now_ms() + ms;
    do {
        pump_once(h, 2);
        far_service(f);
    } while (now_ms() < end);
}

/* Sends a protected packet behind a relay header naming channel. */
static void far_send_framed(const far_bridge *f, uint32_t channel, const uint8_t *pkt, size_t len)
{
    uint8_t buf[PKT_MAX + FAR_HEADER];
    buf[0] = FAR_MARK;
    buf[1] = (uint8_t)(channel >> 16);
    buf[2] = (uint8_t)(channel >> 8);
    buf[3] = (uint8_t)channel;
    memcpy(buf + FAR_HEADER, pkt, len);
    send_to(f->fd, &f->bridge, buf, len + FAR_HEADER);
}

/* Protects an RTP packet under our key into wire (PKT_MAX bytes); returns
 * its length, 0 on failure. */
static size_t far_protect_rtp(far_bridge *f, const uint8_t *pkt, size_t len, uint8_t *wire)
{
    memcpy(wire, pkt, len);
    if (stoa_srtp_protect_rtp(&f->srtp, wire, &len, PKT_MAX) != 0) {
        CHECK(!"far bridge: protect RTP");
        return 0;
    }
    return len;
}

static void far_send_rtp(far_bridge *f, const uint8_t *pkt, size_t len)
{
    uint8_t wire[PKT_MAX];
    size_t n = far_protect_rtp(f, pkt, len, wire);
    if (n)
        far_send_framed(f, f->bridge_channel, wire, n);
}

/* Our subscription: one APP packet "STSU" (subtype 0) naming ssrcs. */
static void far_subscribe(far_bridge *f, const uint32_t *ssrcs, int n)
{
    uint8_t buf[PKT_MAX];
    size_t len = 12 + 4 * (size_t)n;
    buf[0] = 0x80;
    buf[1] = RTCP_APP;
    wr16(buf + 2, (uint16_t)(len / 4 - 1));
    wr32(buf + 4, FAR_SSRC);
    memcpy(buf + 8, "STSU", 4);
    for (int i = 0; i < n; i++)
        wr32(buf + 12 + 4 * i, ssrcs[i]);
    if (stoa_srtp_protect_rtcp(&f->srtp, buf, &len, sizeof buf) != 0) {
        CHECK(!"far bridge: protect RTCP");
        return;
    }
    far_send_framed(f, f->bridge_channel, buf, len);
}

/* The bridge's newest subscription to us: the number of SSRCs it names
 * (into ssrcs, up to cap), -1 when none arrived. Its APP header is checked. */
static int far_last_subscription(const far_bridge *f, uint32_t *ssrcs, int cap, int *malformed)
{
    int found = -1;
    for (size_t i = 0; i < f->rtcp.n; i++) {
        rtcp_iter it;
        rtcp_packet p;
        rtcp_iter_init(&it, f->rtcp.items[i].data, f->rtcp.items[i].len);
        while (rtcp_next(&it, &p) == 1) {
            if (p.type != RTCP_APP || p.len < 12 || memcmp(p.data + 8, "STSU", 4) != 0)
                continue;
            if ((p.data[0] & 0x1F) != 0 || (p.len - 12) % 4 != 0)
                (*malformed)++;
            found = 0;
            for (size_t k = 12; k + 4 <= p.len; k += 4, found++)
                if (found < cap)
                    ssrcs[found] = rd32(p.data + k);
        }
    }
    return found;
}

static bool subscription_names(const far_bridge *f, uint32_t ssrc, int *malformed)
{
    uint32_t v[64];
    int n = far_last_subscription(f, v, 64, malformed);
    for (int i = 0; i < n && i < 64; i++)
        if (v[i] == ssrc)
            return true;
    return false;
}

static json_t *relay_open(harness *h, json_int_t id, const char *conference, const char *ep, const char *send_hex,
                          const char *receive_hex, int port, json_int_t channel)
{
    json_t *req = json_pack("{s:s, s:I, s:s, s:s, s:{s:s, s:s}}", "type", "relay-open", "id", id, "conference",
                            conference, "endpoint", ep, "keys", "send", send_hex, "receive", receive_hex);
    if (port >= 0)
        json_object_set_new(req, "peer", json_pack("{s:s, s:i, s:I}", "address", "127.0.0.1", "port", port,
                                                   "channel", channel));
    return request(h, req);
}

static json_t *relay_peer(harness *h, json_int_t id, const char *conference, const char *ep, const char *address,
                          int port, json_int_t channel)
{
    return request(h, json_pack("{s:s, s:I, s:s, s:s, s:{s:s, s:i, s:I}}", "type", "relay-peer", "id", id,
                                "conference", conference, "endpoint", ep, "peer", "address", address, "port", port,
                                "channel", channel));
}

static json_t *proxy_request(harness *h, json_int_t id, const char *conference, const char *ep, const char *via,
                             uint32_t ssrc)
{
    json_t *req = json_pack("{s:s, s:I, s:s, s:s, s:[{s:I, s:s}]}", "type", "proxy", "id", id, "conference",
                            conference, "endpoint", ep, "sources", "ssrc", (json_int_t)ssrc, "kind", "audio");
    if (via)
        json_object_set_new(req, "relay", json_string(via));
    return request(h, req);
}

/* An audio packet as the harness's peers send them (payload 80 bytes). */
static size_t relay_audio(uint8_t *buf, uint32_t ssrc, uint16_t seq, uint8_t fill)
{
    return make_rtp(buf, ssrc, PT_OPUS, false, seq, 960u * seq, fill, 80);
}

/* P keeps talking until the far bridge gets its audio; true when it did. */
static bool far_until_p_audio(harness *h, far_bridge *f, peer *p, uint16_t *seq, int ms)
{
    uint8_t buf[PKT_MAX];
    int64_t end = now_ms() + ms;
    while (now_ms() < end) {
        peer_send_rtp(p, buf, relay_audio(buf, RELAY_P_AUDIO, (*seq)++, 0x21), NULL);
        far_pump(h, f, 20);
        if (count_rtp_ssrc(&f->rtp, RELAY_P_AUDIO) > 0)
            return true;
    }
    return false;
}

/* The far bridge keeps sending far1's audio until P gets it. */
static bool p_until_far_audio(harness *h, far_bridge *f, peer *p, uint16_t *seq, int ms)
{
    uint8_t buf[PKT_MAX];
    int64_t end = now_ms() + ms;
    while (now_ms() < end) {
        far_send_rtp(f, buf, relay_audio(buf, RELAY_T_AUDIO, (*seq)++, 0x31));
        far_pump(h, f, 20);
        if (count_rtp_ssrc(&p->rtp, RELAY_T_AUDIO) > 0)
            return true;
    }
    return false;
}

/* The received packet is the one sent, but for the header extensions the
 * bridge rewrites (mid, transport-wide sequence number). */
static void check_same_media(const packet *got, const uint8_t *sent, size_t sent_len)
{
    rtp_header gh, sh;
    CHECK_EQ_INT(rtp_parse(sent, sent_len, &sh), 0);
    CHECK_EQ_INT(rtp_parse(got->data, got->len, &gh), 0);
    CHECK_EQ_INT(gh.ssrc, sh.ssrc);
    CHECK_EQ_INT(gh.seq, sh.seq);
    CHECK_EQ_INT(gh.timestamp, sh.timestamp);
    CHECK_EQ_INT(gh.payload_type, sh.payload_type);
    CHECK_EQ_INT(gh.payload_len, sh.payload_len);
    CHECK(gh.payload_len == sh.payload_len &&
          memcmp(got->data + gh.header_len, sent + sh.header_len, sh.payload_len) == 0);
}

/* transport-cc feedback packets (RTPFB, FMT 15) in the inbox. */
static int count_twcc_feedback(const inbox *in)
{
    int n = 0;
    for (size_t i = 0; i < in->n; i++) {
        rtcp_iter it;
        rtcp_packet p;
        rtcp_iter_init(&it, in->items[i].data, in->items[i].len);
        while (rtcp_next(&it, &p) == 1)
            n += p.type == RTCP_RTPFB && p.count == 15;
    }
    return n;
}

static uint64_t dropped_delta(const bridge_counters *before, const bridge_counters *after, int reason)
{
    return after->dropped[reason] - before->dropped[reason];
}

/* Waits until the bridge's published counter of reason grew past before's. */
static bool wait_dropped(harness *h, far_bridge *f, const bridge_counters *before, int reason, bridge_counters *after)
{
    bool ok;
    FAR_WAIT(h, f, ok, (counters(h, after), after->dropped[reason] > before->dropped[reason]), 1000);
    far_pump(h, f, 50);                /* anything else it would do with the packet */
    counters(h, after);
    return ok;
}

/* A well-formed configure (0), pause (1) or constraints (2) naming ep in
 * p's conference (a configure with p's own credentials and source). */
static json_t *participant_request(harness *h, int which, json_int_t id, const peer *p, const char *ep)
{
    if (which == 0)
        return request(h, json_pack("{s:s, s:I, s:s, s:s, s:{s:s, s:s}, s:{s:s}, s:[{s:I, s:s}]}", "type",
                                    "configure", "id", id, "conference", p->conference, "endpoint", ep, "ice",
                                    "ufrag", p->ufrag, "pwd", p->pwd, "dtls", "fingerprint",
                                    dtls_ctx_fingerprint(p->ctx), "sources", "ssrc", (json_int_t)RELAY_P_AUDIO,
                                    "kind", "audio"));
    if (which == 1)
        return request(h, json_pack("{s:s, s:I, s:s, s:s, s:[I], s:b}", "type", "pause", "id", id, "conference",
                                    p->conference, "endpoint", ep, "ssrcs", (json_int_t)RELAY_P_AUDIO, "paused", 0));
    return request(h, json_pack("{s:s, s:I, s:s, s:s, s:i}", "type", "constraints", "id", id, "conference",
                                p->conference, "endpoint", ep, "last_n", -1));
}

static void test_relay(harness *h)
{
    static const char *const conf = "relay-conf";
    far_bridge far, far2;
    CHECK(far_new(&far, FAR_CHANNEL));
    CHECK(far_new(&far2, FAR_CHANNEL + 1));
    peer *p = peer_new(h, "RP", conf);
    CHECK(p != NULL);
    if (far.fd < 0 || far2.fd < 0 || !p) {
        far_free(&far);
        far_free(&far2);
        return;
    }
    uint8_t k1[FAR_KEY], k2[FAR_KEY];
    char k1_hex[2 * FAR_KEY + 1], k2_hex[2 * FAR_KEY + 1];
    random_bytes(k1, sizeof k1);
    random_bytes(k2, sizeof k2);
    hex_of(k1, sizeof k1, k1_hex);
    hex_of(k2, sizeof k2, k2_hex);
    int far_port = ntohs(far.self.sin_port);
    json_int_t id;
    json_t *resp;
    bool ok;
    int malformed = 0;
    uint8_t buf[PKT_MAX], wire[PKT_MAX], sent[PKT_MAX];
    size_t n, wire_len;
    bridge_counters before, after;

    /* 1. relay-open: the bridge's relay address, its worker's media port and
     * a channel of its choosing. */
    id = ++h->next_id;
    resp = relay_open(h, id, conf, "relay-9", k1_hex, k2_hex, far_port, FAR_CHANNEL);
    CHECK(is_response(resp, "relay-open-ok", id));
    CHECK_EQ_STR(jstr(resp, "endpoint"), "relay-9");
    CHECK_EQ_STR(jstr(resp, "address"), "127.0.0.1");
    json_int_t port = json_integer_value(json_object_get(resp, "port"));
    json_int_t channel = json_integer_value(json_object_get(resp, "channel"));
    CHECK(port == h->port || port == h->port + 1);
    CHECK(channel >= 1 && channel <= 0xFFFFFF);
    if (!is_response(resp, "relay-open-ok", id) || !(port == h->port || port == h->port + 1) || channel < 1 ||
        channel > 0xFFFFFF || !far_keys(&far, k1, k2)) {
        far_free(&far);
        far_free(&far2);
        return;
    }
    far.bridge = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    far.bridge_channel = (uint32_t)channel;
    far2.bridge = far.bridge;
    far2.bridge_channel = far.bridge_channel;

    /* Knowing our address, the bridge sends its subscription at once: empty,
     * it has no proxies yet. Header and keys as documented. */
    FAR_WAIT(h, &far, ok, far_last_subscription(&far, NULL, 0, &malformed) >= 0, 1500);
    CHECK(ok);
    CHECK_EQ_INT(far_last_subscription(&far, NULL, 0, &malformed), 0);

    /* 2. P joins the conference, on the relay's worker. */
    id = h->next_id + 1;
    resp = allocate(h, p);
    CHECK(is_response(resp, "allocate-ok", id));
    CHECK_EQ_INT(ntohs(p->bridge.sin_port), port);
    CHECK(ln_await_endpoint(h, p));
    CHECK(connectivity_check(h, p, true));
    id = ++h->next_id;
    resp = configure(h, p, id, dtls_ctx_fingerprint(p->ctx),
                     json_pack("[{s:I, s:s}, {s:I, s:s}]", "ssrc", (json_int_t)RELAY_P_AUDIO, "kind", "audio",
                               "ssrc", (json_int_t)RELAY_P_VIDEO, "kind", "video"));
    CHECK(is_response(resp, "configure-ok", id));
    ok = handshake(h, p, 3000) && wait_event(h, "endpoint-connected", "RP", 3000) != NULL;
    CHECK(ok);
    if (!ok) {
        far_free(&far);
        far_free(&far2);
        return;
    }

    /* P talks; we subscribed to nothing: none of it crosses the relay. */
    uint16_t p_seq = 4000, t_seq = 9000;
    uint16_t v_seq = 300;
    for (int i = 0; i < 10; i++) {
        peer_send_rtp(p, buf, relay_audio(buf, RELAY_P_AUDIO, p_seq++, 0x11), NULL);
        peer_send_rtp(p, buf, make_rtp(buf, RELAY_P_VIDEO, PT_VP8, true, v_seq, 3000u * v_seq, 0x12, 200), NULL);
        v_seq++;
        far_pump(h, &far, 20);
    }
    far_pump(h, &far, 100);
    CHECK_EQ_INT(count_rtp_ssrc(&far.rtp, RELAY_P_AUDIO), 0);
    CHECK_EQ_INT(far.rtp.n, 0);

    /* 3. We subscribe to P's audio: it arrives, under P's SSRC, as P sent it. */
    uint32_t want = RELAY_P_AUDIO;
    far_subscribe(&far, &want, 1);
    ok = far_until_p_audio(h, &far, p, &p_seq, 2000);
    CHECK(ok);
    inbox_clear(&far.rtp);
    uint16_t probe_seq = p_seq++;
    n = relay_audio(sent, RELAY_P_AUDIO, probe_seq, 0x5A);
    peer_send_rtp(p, sent, n, NULL);
    FAR_WAIT(h, &far, ok, find_rtp(&far.rtp, RELAY_P_AUDIO, probe_seq) != NULL, 1000);
    CHECK(ok);
    far_pump(h, &far, 30);
    const packet *got = find_rtp(&far.rtp, RELAY_P_AUDIO, probe_seq);
    if (got)
        check_same_media(got, sent, n);
    CHECK_EQ_INT(count_rtp_seq(&far.rtp, RELAY_P_AUDIO, probe_seq), 1);
    CHECK_EQ_INT(count_rtp_ssrc(&far.rtp, RELAY_P_VIDEO), 0);   /* not subscribed */

    /* Video newly subscribed starts with a key frame asked of P; then it
     * crosses too. */
    far_pump(h, &far, 350);            /* past the source's own key-frame interval */
    inbox_clear(&p->rtcp);
    far_pump(h, &far, 300);
    CHECK_EQ_INT(count_pli(&p->rtcp, RELAY_P_VIDEO, NULL, NULL), 0);   /* none without a reason */
    uint32_t both[2] = { RELAY_P_AUDIO, RELAY_P_VIDEO };
    far_subscribe(&far, both, 2);
    FAR_WAIT(h, &far, ok, count_pli(&p->rtcp, RELAY_P_VIDEO, NULL, NULL) > 0, 1000);
    CHECK(ok);
    CHECK_EQ_INT(count_pli(&p->rtcp, RELAY_P_AUDIO, NULL, NULL), 0);
    inbox_clear(&far.rtp);
    ok = false;
    for (int64_t end = now_ms() + 1000; !ok && now_ms() < end;) {
        peer_send_rtp(p, buf, make_rtp(buf, RELAY_P_VIDEO, PT_VP8, true, v_seq, 3000u * v_seq, 0x13, 200), NULL);
        v_seq++;
        far_pump(h, &far, 20);
        ok = count_rtp_ssrc(&far.rtp, RELAY_P_VIDEO) > 0;
    }
    CHECK(ok);
    /* Our PLI for it reaches P (a relay speaks for many receivers: not held
     * to one receiver's key-frame budget, only to the source's interval). */
    for (int round = 0; round < 2; round++) {
        far_pump(h, &far, 350);
        inbox_clear(&p->rtcp);
        uint8_t fb[64], rtcp[PKT_MAX];
        size_t fb_len = rtcp_build_pli(fb, sizeof fb, FAR_SSRC, RELAY_P_VIDEO);
        size_t rtcp_len = rr_plus(rtcp, sizeof rtcp, FAR_SSRC, fb, fb_len);
        CHECK(stoa_srtp_protect_rtcp(&far.srtp, rtcp, &rtcp_len, sizeof rtcp) == 0);
        far_send_framed(&far, far.bridge_channel, rtcp, rtcp_len);
        /* At once: a budget of one per second would defer the second
         * request by some 650 ms. */
        FAR_WAIT(h, &far, ok, count_pli(&p->rtcp, RELAY_P_VIDEO, NULL, NULL) > 0, 250);
        if (!ok)
            fprintf(stderr, "relay: PLI %d over the relay did not reach the sender\n", round + 1);
        CHECK(ok);
    }

    /* A subscription replaces the previous one: empty, P's audio stops. */
    far_subscribe(&far, NULL, 0);
    far_pump(h, &far, 50);
    inbox_clear(&far.rtp);
    for (int i = 0; i < 5; i++) {
        peer_send_rtp(p, buf, relay_audio(buf, RELAY_P_AUDIO, p_seq++, 0x12), NULL);
        far_pump(h, &far, 20);
    }
    far_pump(h, &far, 100);
    CHECK_EQ_INT(count_rtp_ssrc(&far.rtp, RELAY_P_AUDIO), 0);
    far_subscribe(&far, &want, 1);
    CHECK(far_until_p_audio(h, &far, p, &p_seq, 2000));

    /* 4. far1, a participant over there, sends audio T: proxy-ok, the
     * bridge subscribes to it (audio always), and T reaches P. */
    id = ++h->next_id;
    resp = proxy_request(h, id, conf, "far1", "relay-9", RELAY_T_AUDIO);
    CHECK(is_response(resp, "proxy-ok", id));
    FAR_WAIT(h, &far, ok, subscription_names(&far, RELAY_T_AUDIO, &malformed), 2000);
    CHECK(ok);
    ok = p_until_far_audio(h, &far, p, &t_seq, 2000);
    CHECK(ok);
    inbox_clear(&p->rtp);
    probe_seq = t_seq++;
    n = relay_audio(sent, RELAY_T_AUDIO, probe_seq, 0x6B);
    far_send_rtp(&far, sent, n);
    FAR_WAIT(h, &far, ok, find_rtp(&p->rtp, RELAY_T_AUDIO, probe_seq) != NULL, 1000);
    CHECK(ok);
    far_pump(h, &far, 30);
    got = find_rtp(&p->rtp, RELAY_T_AUDIO, probe_seq);
    if (got)
        check_same_media(got, sent, n);
    CHECK_EQ_INT(count_rtp_seq(&p->rtp, RELAY_T_AUDIO, probe_seq), 1);
    /* Our packets carry transport-wide numbers: the bridge sends the relay
     * transport-cc feedback. */
    FAR_WAIT(h, &far, ok, count_twcc_feedback(&far.rtcp) > 0, 1000);
    CHECK(ok);

    /* An SSRC no proxy declared: dropped, counted as unknown. */
    far_pump(h, &far, 50);
    counters(h, &before);
    far_send_rtp(&far, buf, relay_audio(buf, RELAY_UNDECLARED, 1, 0x41));
    CHECK(wait_dropped(h, &far, &before, MEDIA_DROP_UNKNOWN, &after));
    CHECK_EQ_INT(dropped_delta(&before, &after, MEDIA_DROP_UNKNOWN), 1);
    CHECK_EQ_INT(count_rtp_ssrc(&p->rtp, RELAY_UNDECLARED), 0);

    /* A tampered tag: dropped, counted as failing authentication; the same
     * packet intact is delivered after it. */
    counters(h, &before);
    probe_seq = t_seq++;
    n = relay_audio(sent, RELAY_T_AUDIO, probe_seq, 0x7C);
    wire_len = far_protect_rtp(&far, sent, n, wire);
    memcpy(buf, wire, wire_len);
    buf[wire_len - 1] ^= 0x01;                   /* the last byte of the GCM tag */
    far_send_framed(&far, far.bridge_channel, buf, wire_len);
    CHECK(wait_dropped(h, &far, &before, MEDIA_DROP_AUTH, &after));
    CHECK_EQ_INT(dropped_delta(&before, &after, MEDIA_DROP_AUTH), 1);
    CHECK_EQ_INT(count_rtp_seq(&p->rtp, RELAY_T_AUDIO, probe_seq), 0);
    far_send_framed(&far, far.bridge_channel, wire, wire_len);
    FAR_WAIT(h, &far, ok, find_rtp(&p->rtp, RELAY_T_AUDIO, probe_seq) != NULL, 1000);
    CHECK(ok);

    /* A channel the bridge never gave: dropped as unknown; the same bytes on
     * the relay's channel are delivered. */
    counters(h, &before);
    probe_seq = t_seq++;
    n = relay_audio(sent, RELAY_T_AUDIO, probe_seq, 0x7D);
    wire_len = far_protect_rtp(&far, sent, n, wire);
    uint32_t stranger = far.bridge_channel ^ 0x800000u;
    far_send_framed(&far, stranger, wire, wire_len);
    CHECK(wait_dropped(h, &far, &before, MEDIA_DROP_UNKNOWN, &after));
    CHECK_EQ_INT(dropped_delta(&before, &after, MEDIA_DROP_UNKNOWN), 1);
    CHECK_EQ_INT(count_rtp_seq(&p->rtp, RELAY_T_AUDIO, probe_seq), 0);
    far_send_framed(&far, far.bridge_channel, wire, wire_len);
    FAR_WAIT(h, &far, ok, find_rtp(&p->rtp, RELAY_T_AUDIO, probe_seq) != NULL, 1000);
    CHECK(ok);

    /* A proxy declaring P's SSRC does not get it: refused (foreign-ssrc),
     * and packets under it over the relay are not P's own coming back. */
    counters(h, &before);
    id = ++h->next_id;
    CHECK(is_response(proxy_request(h, id, conf, "far3", "relay-9", RELAY_P_AUDIO), "proxy-ok", id));
    FAR_WAIT(h, &far, ok, (counters(h, &after), dropped_delta(&before, &after, MEDIA_DROP_FOREIGN_SSRC) > 0), 1000);
    CHECK(ok);
    inbox_clear(&p->rtp);
    counters(h, &before);
    far_send_rtp(&far, buf, relay_audio(buf, RELAY_P_AUDIO, 60000, 0x43));
    CHECK(wait_dropped(h, &far, &before, MEDIA_DROP_UNKNOWN, &after));
    CHECK_EQ_INT(count_rtp_ssrc(&p->rtp, RELAY_P_AUDIO), 0);
    id = ++h->next_id;
    CHECK(is_response(simple_request(h, "expire", id, conf, "far3"), "expire-ok", id));

    /* far1 renegotiates: a second proxy request renews its sources. The old
     * SSRC is dropped as unknown, the new one delivered and subscribed to. */
    id = ++h->next_id;
    CHECK(is_response(proxy_request(h, id, conf, "far1", "relay-9", RELAY_T2_AUDIO), "proxy-ok", id));
    inbox_clear(&far.rtcp);
    FAR_WAIT(h, &far, ok, subscription_names(&far, RELAY_T2_AUDIO, &malformed), 2000);
    CHECK(ok);
    CHECK(!subscription_names(&far, RELAY_T_AUDIO, &malformed));
    inbox_clear(&p->rtp);
    counters(h, &before);
    far_send_rtp(&far, buf, relay_audio(buf, RELAY_T_AUDIO, t_seq++, 0x44));
    CHECK(wait_dropped(h, &far, &before, MEDIA_DROP_UNKNOWN, &after));
    CHECK_EQ_INT(dropped_delta(&before, &after, MEDIA_DROP_UNKNOWN), 1);
    probe_seq = t_seq++;
    n = relay_audio(sent, RELAY_T2_AUDIO, probe_seq, 0x45);
    far_send_rtp(&far, sent, n);
    FAR_WAIT(h, &far, ok, find_rtp(&p->rtp, RELAY_T2_AUDIO, probe_seq) != NULL, 1000);
    CHECK(ok);
    got = find_rtp(&p->rtp, RELAY_T2_AUDIO, probe_seq);
    if (got)
        check_same_media(got, sent, n);
    CHECK_EQ_INT(count_rtp_ssrc(&p->rtp, RELAY_T_AUDIO), 0);
    /* And back, for what follows. */
    id = ++h->next_id;
    CHECK(is_response(proxy_request(h, id, conf, "far1", "relay-9", RELAY_T_AUDIO), "proxy-ok", id));
    CHECK(p_until_far_audio(h, &far, p, &t_seq, 2000));

    /* 5. Control errors; none of them changes anything. */
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(proxy_request(h, id, conf, "far2", "relay-nope", 0x7B000002u)), "unknown-relay");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(proxy_request(h, id, conf, "far2", "RP", 0x7B000002u)), "unknown-relay");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(proxy_request(h, id, conf, "far2", NULL, 0x7B000002u)), "unknown-relay");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(proxy_request(h, id, "relay-nowhere", "far2", "relay-9", 0x7B000002u)), "unknown-relay");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(proxy_request(h, id, conf, "RP", "relay-9", 0x7B000002u)), "duplicate-endpoint");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(proxy_request(h, id, conf, "relay-9", "relay-9", 0x7B000002u)), "duplicate-endpoint");

    char key55[2 * FAR_KEY + 1], key57[2 * FAR_KEY + 2], nonhex[2 * FAR_KEY + 1];
    snprintf(key55, sizeof key55, "%.55s", k1_hex);
    snprintf(key57, sizeof key57, "%s0", k1_hex);
    snprintf(nonhex, sizeof nonhex, "%s", k1_hex);
    nonhex[20] = 'g';
    struct { const char *send, *receive; int port; json_int_t channel; const char *what; } cases[] = {
        { key55, k2_hex, far_port, FAR_CHANNEL, "a send key of 55 hex digits" },
        { k1_hex, key55, far_port, FAR_CHANNEL, "a receive key of 55 hex digits" },
        { key57, k2_hex, far_port, FAR_CHANNEL, "a send key of 57 hex digits" },
        { nonhex, k2_hex, far_port, FAR_CHANNEL, "a non-hex digit" },
        { k1_hex, nonhex, far_port, FAR_CHANNEL, "a non-hex digit in the receive key" },
        { k1_hex, k2_hex, 0, FAR_CHANNEL, "peer port 0" },
        { k1_hex, k2_hex, 65536, FAR_CHANNEL, "peer port 65536" },
        { k1_hex, k2_hex, far_port, 0, "channel 0" },
        { k1_hex, k2_hex, far_port, 0x1000000, "channel 2^24" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        id = ++h->next_id;
        resp = relay_open(h, id, conf, "relay-bad", cases[i].send, cases[i].receive, cases[i].port, cases[i].channel);
        if (!error_code(resp) || strcmp(error_code(resp), "bad-request") != 0)
            fprintf(stderr, "relay-open with %s: not refused as bad-request\n", cases[i].what);
        CHECK_EQ_STR(error_code(resp), "bad-request");
    }
    id = ++h->next_id;
    resp = request(h, json_pack("{s:s, s:I, s:s, s:s, s:{s:s}}", "type", "relay-open", "id", id, "conference", conf,
                                "endpoint", "relay-bad", "keys", "send", k1_hex));
    CHECK_EQ_STR(error_code(resp), "bad-request");
    id = ++h->next_id;
    resp = request(h, json_pack("{s:s, s:I, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:i, s:i}}", "type", "relay-open", "id",
                                id, "conference", conf, "endpoint", "relay-bad", "keys", "send", k1_hex, "receive",
                                k2_hex, "peer", "address", "not-an-address", "port", far_port, "channel",
                                FAR_CHANNEL));
    CHECK_EQ_STR(error_code(resp), "bad-request");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(relay_open(h, id, "relay-void", "relay-bad", key55, k2_hex, -1, 0)), "bad-request");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(simple_request(h, "expire", id, conf, "relay-bad")), "unknown-endpoint");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(simple_request(h, "expire", id, "relay-void", "relay-bad")), "unknown-endpoint");

    static const char *const taken[] = { "RP", "relay-9", "far1" };
    for (size_t i = 0; i < 3; i++) {
        id = ++h->next_id;
        CHECK_EQ_STR(error_code(relay_open(h, id, conf, taken[i], k1_hex, k2_hex, far_port, FAR_CHANNEL)),
                     "duplicate-endpoint");
    }
    /* Requests a participant would have accepted. */
    static const char *const not_participants[] = { "relay-9", "far1" };
    for (size_t i = 0; i < 2; i++) {
        for (int k = 0; k < 3; k++) {
            id = ++h->next_id;
            resp = participant_request(h, k, id, p, not_participants[i]);
            if (!error_code(resp) || strcmp(error_code(resp), "not-a-participant") != 0)
                fprintf(stderr, "relay: request %d naming %s: not refused as not-a-participant\n", k,
                        not_participants[i]);
            CHECK_EQ_STR(error_code(resp), "not-a-participant");
        }
    }
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(relay_peer(h, id, conf, "RP", "127.0.0.1", far_port, FAR_CHANNEL)), "not-a-relay");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(relay_peer(h, id, conf, "far1", "127.0.0.1", far_port, FAR_CHANNEL)), "not-a-relay");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(relay_peer(h, id, conf, "relay-none", "127.0.0.1", far_port, FAR_CHANNEL)),
                 "unknown-endpoint");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(relay_peer(h, id, conf, "relay-9", "127.0.0.1", 0, FAR_CHANNEL)), "bad-request");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(relay_peer(h, id, conf, "relay-9", "127.0.0.1", far_port, 0)), "bad-request");

    /* Still serving both ways. */
    for (int k = 0; k < 3; k++) {
        static const char *const oks[] = { "configure-ok", "pause-ok", "constraints-ok" };
        id = ++h->next_id;
        CHECK(is_response(participant_request(h, k, id, p, "RP"), oks[k], id));
    }
    inbox_clear(&far.rtp);
    inbox_clear(&p->rtp);
    CHECK(far_until_p_audio(h, &far, p, &p_seq, 2000));
    CHECK(p_until_far_audio(h, &far, p, &t_seq, 2000));

    /* relay-peer: the bridge sends to the new address, with the new channel,
     * under the same keys; then back. */
    CHECK(far_keys(&far2, k1, k2));
    id = ++h->next_id;
    resp = relay_peer(h, id, conf, "relay-9", "127.0.0.1", ntohs(far2.self.sin_port), far2.channel);
    CHECK(is_response(resp, "relay-peer-ok", id));
    ok = false;
    for (int64_t end = now_ms() + 2000; !ok && now_ms() < end;) {
        peer_send_rtp(p, buf, relay_audio(buf, RELAY_P_AUDIO, p_seq++, 0x22), NULL);
        far_pump(h, &far, 20);
        far_service(&far2);
        ok = count_rtp_ssrc(&far2.rtp, RELAY_P_AUDIO) > 0;
    }
    CHECK(ok);
    far_pump(h, &far, 50);
    inbox_clear(&far.rtp);
    for (int i = 0; i < 3; i++) {
        peer_send_rtp(p, buf, relay_audio(buf, RELAY_P_AUDIO, p_seq++, 0x23), NULL);
        far_pump(h, &far, 20);
    }
    far_pump(h, &far, 50);
    CHECK_EQ_INT(count_rtp_ssrc(&far.rtp, RELAY_P_AUDIO), 0);   /* the old address hears no more */
    id = ++h->next_id;
    resp = relay_peer(h, id, conf, "relay-9", "127.0.0.1", far_port, FAR_CHANNEL);
    CHECK(is_response(resp, "relay-peer-ok", id));
    CHECK(far_until_p_audio(h, &far, p, &p_seq, 2000));
    far_service(&far2);
    CHECK_EQ_INT(far2.bad_mark + far2.wrong_channel + far2.undecryptable + far2.stray, 0);

    /* 6. expire: the relay goes, its proxies with it. */
    id = ++h->next_id;
    CHECK(is_response(simple_request(h, "expire", id, conf, "relay-9"), "expire-ok", id));
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(proxy_request(h, id, conf, "far1", "relay-9", RELAY_T_AUDIO)), "unknown-relay");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(simple_request(h, "expire", id, conf, "far1")), "unknown-endpoint");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(relay_peer(h, id, conf, "relay-9", "127.0.0.1", far_port, FAR_CHANNEL)),
                 "unknown-endpoint");
    far_pump(h, &far, 100);
    inbox_clear(&far.rtp);
    inbox_clear(&far.rtcp);
    inbox_clear(&p->rtp);
    int datagrams_before = far.datagrams;
    counters(h, &before);
    for (int i = 0; i < 3; i++) {
        peer_send_rtp(p, buf, relay_audio(buf, RELAY_P_AUDIO, p_seq++, 0x24), NULL);
        far_send_rtp(&far, buf, relay_audio(buf, RELAY_T_AUDIO, t_seq++, 0x32));
        far_pump(h, &far, 20);
    }
    far_pump(h, &far, 200);
    counters(h, &after);
    CHECK_EQ_INT(far.datagrams - datagrams_before, 0);   /* nothing more from the relay */
    CHECK_EQ_INT(count_rtp_ssrc(&p->rtp, RELAY_T_AUDIO), 0);
    CHECK_EQ_INT(dropped_delta(&before, &after, MEDIA_DROP_UNKNOWN), 3);   /* its channel is gone */

    /* A new relay, opened without a peer (the side that answers first) and
     * told it by relay-peer; a fresh proxy far1 on it is accepted. */
    uint8_t k3[FAR_KEY], k4[FAR_KEY];
    char k3_hex[2 * FAR_KEY + 1], k4_hex[2 * FAR_KEY + 1];
    random_bytes(k3, sizeof k3);
    random_bytes(k4, sizeof k4);
    hex_of(k3, sizeof k3, k3_hex);
    hex_of(k4, sizeof k4, k4_hex);
    CHECK(far_keys(&far, k3, k4));
    id = ++h->next_id;
    resp = relay_open(h, id, conf, "relay-10", k3_hex, k4_hex, -1, 0);
    CHECK(is_response(resp, "relay-open-ok", id));
    json_int_t channel2 = json_integer_value(json_object_get(resp, "channel"));
    CHECK(channel2 >= 1 && channel2 <= 0xFFFFFF && channel2 != channel);
    CHECK_EQ_INT(json_integer_value(json_object_get(resp, "port")), port);
    far.bridge_channel = (uint32_t)channel2;
    datagrams_before = far.datagrams;
    far_pump(h, &far, 100);
    CHECK_EQ_INT(far.datagrams - datagrams_before, 0);   /* it knows no address to send to */
    id = ++h->next_id;
    resp = proxy_request(h, id, conf, "far1", "relay-10", RELAY_T_AUDIO);
    CHECK(is_response(resp, "proxy-ok", id));
    if (error_code(resp))
        fprintf(stderr, "relay: proxy far1 on a new relay after its old relay's expiry: %s\n", error_code(resp));
    id = ++h->next_id;
    resp = relay_peer(h, id, conf, "relay-10", "127.0.0.1", far_port, FAR_CHANNEL);
    CHECK(is_response(resp, "relay-peer-ok", id));
    FAR_WAIT(h, &far, ok, subscription_names(&far, RELAY_T_AUDIO, &malformed), 2000);
    CHECK(ok);
    CHECK(p_until_far_audio(h, &far, p, &t_seq, 2000));
    far_subscribe(&far, &want, 1);
    CHECK(far_until_p_audio(h, &far, p, &p_seq, 2000));

    /* Done: the relay and its proxy go. */
    id = ++h->next_id;
    CHECK(is_response(simple_request(h, "expire", id, conf, "relay-10"), "expire-ok", id));
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(simple_request(h, "expire", id, conf, "far1")), "unknown-endpoint");
    far_pump(h, &far, 50);
    CHECK_EQ_INT(malformed, 0);
    CHECK_EQ_INT(far.bad_mark, 0);
    CHECK_EQ_INT(far.wrong_channel, 0);
    CHECK_EQ_INT(far.undecryptable, 0);
    CHECK_EQ_INT(far.stray, 0);
    far_free(&far);
    far_free(&far2);
}

/* The names a "conferences" answer lists, checked as docs/protocol.md says
 * (sorted, at most 256); the count, or -1. */
static int list_page(harness *h, const char *after, char names[][32], int cap, bool *more)
{
    json_int_t id = ++h->next_id;
    json_t *req = json_pack("{s:s, s:I}", "type", "conferences", "id", id);
    if (after)
        json_object_set_new(req, "after", json_string(after));
    json_t *resp = request(h, req);
    json_t *list = json_object_get(resp, "conferences");
    CHECK(is_response(resp, "conferences-ok", id) && json_is_array(list) && json_array_size(list) <= 64);
    if (!json_is_array(list))
        return -1;
    *more = json_is_true(json_object_get(resp, "more"));
    int n = 0;
    size_t i;
    json_t *name;
    json_array_foreach(list, i, name) {
        const char *v = json_string_value(name);
        CHECK(v != NULL && (!after || strcmp(v, after) > 0));
        if (v && n > 0)
            CHECK(strcmp(names[n - 1], v) < 0);
        if (v && n < cap)
            snprintf(names[n++], 32, "%s", v);
    }
    return n;
}

/* A focus linking anew lists what the bridge holds and expires it: paged,
 * sorted, a relay with its proxies, and ids free to be used again. */
static void scenario_reconcile(harness *h)
{
    int endpoints0, conferences0;
    bridge_get_load(h->b, &endpoints0, &conferences0);
    /* 300 conferences of one endpoint: two pages. */
    for (int i = 0; i < 300; i++) {
        char conf[32];
        snprintf(conf, sizeof conf, "stale-%03d", 299 - i);
        json_int_t id = ++h->next_id;
        CHECK(is_response(simple_request(h, "allocate", id, conf, "p1"), "allocate-ok", id));
    }
    /* One with a participant, a relay and its proxy. */
    const char *conf = "stale-relayed";
    json_int_t id = ++h->next_id;
    CHECK(is_response(simple_request(h, "allocate", id, conf, "p1"), "allocate-ok", id));
    const char *k1 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b";
    const char *k2 = "1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";
    id = ++h->next_id;
    CHECK(is_response(relay_open(h, id, conf, "relay-7", k1, k2, -1, 0), "relay-open-ok", id));
    id = ++h->next_id;
    CHECK(is_response(proxy_request(h, id, conf, "far1", "relay-7", RELAY_T_AUDIO), "proxy-ok", id));
    int endpoints, conferences;
    bridge_get_load(h->b, &endpoints, &conferences);
    CHECK_EQ_INT(conferences - conferences0, 301);
    CHECK_EQ_INT(endpoints - endpoints0, 301);   /* participants only */

    /* Pages of 64, each after the last name of the one before. */
    static char names[600][32];
    int n = 0, pages = 0;
    for (bool more = true; more && pages < 20; pages++) {
        int got = list_page(h, n > 0 ? names[n - 1] : NULL, names + n, 600 - n, &more);
        CHECK(got == 64 || !more);
        n += got > 0 ? got : 0;
        if (got <= 0)
            break;
    }
    CHECK_EQ_INT(pages, (301 + conferences0 + 63) / 64);
    CHECK_EQ_INT(n, 301 + conferences0);
    int ours = 0;
    for (int i = 0; i < n; i++)
        ours += strncmp(names[i], "stale-", 6) == 0;
    CHECK_EQ_INT(ours, 301);
    bool last_more = true;
    CHECK_EQ_INT(list_page(h, "zzzz", names, 600, &last_more), 0);
    CHECK(!last_more);

    /* Bad requests. */
    char long_name[140];
    memset(long_name, 'n', 129);
    long_name[129] = 0;
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(request(h, json_pack("{s:s, s:I, s:s}", "type", "conferences", "id", id, "after",
                                                 long_name))), "bad-request");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(request(h, json_pack("{s:s, s:I, s:i}", "type", "conferences", "id", id, "after", 3))),
                 "bad-request");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(request(h, json_pack("{s:s, s:I}", "type", "expire-conference", "id", id))),
                 "bad-request");
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(request(h, json_pack("{s:s, s:I, s:s}", "type", "expire-conference", "id", id,
                                                 "conference", "never-was"))), "unknown-conference");

    /* Expire them all; the relayed one's ids can be used again at once. */
    for (int i = 0; i < n; i++) {
        if (strncmp(names[i], "stale-", 6) != 0)
            continue;
        id = ++h->next_id;
        json_t *resp = request(h, json_pack("{s:s, s:I, s:s}", "type", "expire-conference", "id", id, "conference",
                                            names[i]));
        CHECK(is_response(resp, "expire-conference-ok", id));
    }
    bridge_get_load(h->b, &endpoints, &conferences);
    CHECK_EQ_INT(conferences, conferences0);
    CHECK_EQ_INT(endpoints, endpoints0);
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(simple_request(h, "expire", id, conf, "far1")), "unknown-endpoint");
    id = ++h->next_id;
    CHECK(is_response(relay_open(h, id, conf, "relay-7", k1, k2, -1, 0), "relay-open-ok", id));
    id = ++h->next_id;
    CHECK(is_response(proxy_request(h, id, conf, "far1", "relay-7", RELAY_T_AUDIO), "proxy-ok", id));
    id = ++h->next_id;
    CHECK(is_response(simple_request(h, "allocate", id, conf, "p1"), "allocate-ok", id));
    /* Names JSON escapes in six bytes each: a page still fits a 64 KiB frame. */
    static char odd[70][128];
    for (int i = 0; i < 70; i++) {
        memset(odd[i], 0x01, 125);
        odd[i][125] = (char)('0' + i / 10);
        odd[i][126] = (char)('0' + i % 10);
        id = ++h->next_id;
        CHECK(is_response(simple_request(h, "allocate", id, odd[i], "p1"), "allocate-ok", id));
    }
    id = ++h->next_id;
    json_t *page = request(h, json_pack("{s:s, s:I}", "type", "conferences", "id", id));
    char *text = page ? json_dumps(page, JSON_COMPACT) : NULL;
    CHECK(text && strlen(text) < 65536);
    CHECK_EQ_INT((int)json_array_size(json_object_get(page, "conferences")), 64);
    free(text);
    for (int i = 0; i < 70; i++) {
        id = ++h->next_id;
        CHECK(is_response(request(h, json_pack("{s:s, s:I, s:s}", "type", "expire-conference", "id", id,
                                               "conference", odd[i])), "expire-conference-ok", id));
    }
    /* The workers were told too: the endpoints they dropped are not reported expired later. */
    pump(h, 200);
    CHECK(find_event(h, "endpoint-expired", "p1") == NULL);
    id = ++h->next_id;
    CHECK(is_response(request(h, json_pack("{s:s, s:I, s:s}", "type", "expire-conference", "id", id, "conference",
                                           conf)), "expire-conference-ok", id));
    pump(h, 100);
}

/* A conference past SHARD_LIMIT participants on its worker: the next one
 * goes to the other worker, and the two parts relay to each other. */
static void scenario_shards(harness *h)
{
    static const char *const conf = "spread";
    peer *sa = peer_new(h, "SA", conf), *sb = peer_new(h, "SB", conf);
    CHECK(sa && sb);
    if (!sa || !sb)
        return;
    json_int_t id;
    json_t *got = allocate(h, sa);
    CHECK(is_response(got, "allocate-ok", h->next_id));
    for (int i = 1; i < SHARD_LIMIT; i++) {
        char ep[16];
        snprintf(ep, sizeof ep, "s%d", i);
        id = ++h->next_id;
        json_t *resp = simple_request(h, "allocate", id, conf, ep);
        CHECK(is_response(resp, "allocate-ok", id));
        json_t *cand = json_array_get(json_object_get(resp, "candidates"), 0);
        CHECK_EQ_INT(json_integer_value(json_object_get(cand, "port")), ntohs(sa->bridge.sin_port));
    }
    /* The first SHARD_LIMIT share a worker; the next gets the other's port. */
    got = allocate(h, sb);
    CHECK(is_response(got, "allocate-ok", h->next_id));
    CHECK(ntohs(sb->bridge.sin_port) != ntohs(sa->bridge.sin_port));
    CHECK(ntohs(sb->bridge.sin_port) == h->port || ntohs(sb->bridge.sin_port) == h->port + 1);
    /* Ids of the bridge's own relays are refused. */
    id = ++h->next_id;
    CHECK_EQ_STR(error_code(simple_request(h, "allocate", id, conf, "~w0")), "bad-request");

    id = ++h->next_id;
    CHECK(is_response(configure(h, sa, id, dtls_ctx_fingerprint(sa->ctx), sources_a()), "configure-ok", id));
    id = ++h->next_id;
    CHECK(is_response(configure(h, sb, id, dtls_ctx_fingerprint(sb->ctx), sources_b()), "configure-ok", id));
    bool ok = connectivity_check(h, sa, false) && connectivity_check(h, sb, false) && handshake(h, sa, 3000) &&
              handshake(h, sb, 3000);
    CHECK(ok);
    if (!ok)
        return;
    uint64_t fwd0[2], relayed0[2], fwd1[2], relayed1[2];
    for (int w = 0; w < 2; w++)
        CHECK(bridge_get_worker_forwarded(h->b, w, &fwd0[w], &relayed0[w]));
    CHECK(!bridge_get_worker_forwarded(h->b, 2, &fwd1[0], &relayed1[0]));
    /* Each one's audio reaches the other across the workers, until it does
     * (the relay's subscription takes a round); then 20 in a row. */
    uint8_t pkt[PKT_MAX];
    uint16_t seq = 100;
    bool reached = false;
    for (int round = 0; round < 50 && !reached; round++, seq++) {
        size_t n = make_rtp(pkt, SSRC_A_AUDIO, PT_OPUS, false, seq, 960u * seq, 0x11, 80);
        peer_send_rtp(sa, pkt, n, NULL);
        n = make_rtp(pkt, SSRC_B_AUDIO, PT_OPUS, false, seq, 960u * seq, 0x22, 80);
        peer_send_rtp(sb, pkt, n, NULL);
        pump(h, 20);
        reached = find_rtp(&sb->rtp, SSRC_A_AUDIO, seq) && find_rtp(&sa->rtp, SSRC_B_AUDIO, seq);
    }
    CHECK(reached);
    uint16_t first = seq;
    for (int i = 0; i < 20; i++, seq++) {
        size_t n = make_rtp(pkt, SSRC_A_AUDIO, PT_OPUS, false, seq, 960u * seq, 0x33, 80);
        peer_send_rtp(sa, pkt, n, NULL);
        n = make_rtp(pkt, SSRC_B_AUDIO, PT_OPUS, false, seq, 960u * seq, 0x44, 80);
        peer_send_rtp(sb, pkt, n, NULL);
    }
    WAIT_FOR(h, ok, find_rtp(&sb->rtp, SSRC_A_AUDIO, (uint16_t)(seq - 1)) && find_rtp(&sa->rtp, SSRC_B_AUDIO,
             (uint16_t)(seq - 1)), 2000);
    CHECK(ok);
    int a_at_b = 0, b_at_a = 0;
    for (uint16_t s = first; s != seq; s++) {
        a_at_b += count_rtp_seq(&sb->rtp, SSRC_A_AUDIO, s) == 1;
        b_at_a += count_rtp_seq(&sa->rtp, SSRC_B_AUDIO, s) == 1;
    }
    CHECK_EQ_INT(a_at_b, 20);
    CHECK_EQ_INT(b_at_a, 20);
    pump(h, 100);
    for (int w = 0; w < 2; w++) {
        CHECK(bridge_get_worker_forwarded(h->b, w, &fwd1[w], &relayed1[w]));
        CHECK(fwd1[w] - fwd0[w] >= 20);        /* its own receiver, and the relay to the other */
        CHECK(relayed1[w] > relayed0[w]);
    }
    /* The focus sees one conference and its participants, not the relays. */
    int endpoints = 0, conferences = 0;
    bridge_get_load(h->b, &endpoints, &conferences);
    CHECK(endpoints >= SHARD_LIMIT + 1);
    bool listed_once = false;
    int times = 0;
    static char names[600][32];
    bool more = true;
    int n = list_page(h, NULL, names, 600, &more);
    for (int i = 0; i < n; i++)
        times += strcmp(names[i], conf) == 0;
    listed_once = times == 1;
    CHECK(listed_once);

    /* SA leaves: its proxy on the other worker goes, and so its audio. */
    id = ++h->next_id;
    CHECK(is_response(simple_request(h, "expire", id, conf, "SA"), "expire-ok", id));
    pump(h, 100);
    /* Everything goes with the conference; the same ids are taken again. */
    id = ++h->next_id;
    CHECK(is_response(request(h, json_pack("{s:s, s:I, s:s}", "type", "expire-conference", "id", id, "conference",
                                           conf)), "expire-conference-ok", id));
    pump(h, 100);
    id = ++h->next_id;
    CHECK(is_response(simple_request(h, "allocate", id, conf, "SB"), "allocate-ok", id));
    id = ++h->next_id;
    CHECK(is_response(simple_request(h, "expire", id, conf, "SB"), "expire-ok", id));
    pump(h, 50);
}

static bridge *start_bridge(harness *h)
{
    static const char *const ips[] = { "127.0.0.1" };
    for (int attempt = 0; attempt < 20; attempt++) {
        uint16_t port = (uint16_t)(30000 + random_u32() % 30000);
        /* Both worker ports must be free. */
        int probe[2] = { -1, -1 };
        bool free_ports = true;
        for (int i = 0; i < 2; i++) {
            probe[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(port + i)) };
            if (probe[i] < 0 || bind(probe[i], (struct sockaddr *)&a, sizeof a) < 0)
                free_ports = false;
        }
        for (int i = 0; i < 2; i++)
            if (probe[i] >= 0)
                close(probe[i]);
        if (!free_ports)
            continue;
        bridge_config cfg = { .workers = 2, .media_port = port, .public_ips = ips, .n_public_ips = 1,
                              .consent_timeout_ms = CONSENT_MS, .remb_bitrate = REMB_BPS,
                              .worker_participants = SHARD_LIMIT };
        bridge *b = bridge_new(&cfg, on_emit, on_wake, h);
        if (b) {
            h->port = port;
            return b;
        }
    }
    return NULL;
}

int main(void)
{
    int64_t started = now_ms();
    const char *verbose = getenv("STOA_TEST_VERBOSE");
    log_set_level(verbose && *verbose ? LOG_DEBUG : LOG_WARN);
    random_bytes(&rng_state, sizeof rng_state);
    rng_state |= 1;
    printf("bridge_loopback: garbage seed %llu\n", (unsigned long long)rng_state);

    static harness h;
    h.b = start_bridge(&h);
    CHECK(h.b != NULL);
    if (!h.b)
        return check_report("bridge_loopback");
    h.a_seq = 1000;

    peer *a = peer_new(&h, "A", "room1"), *b = peer_new(&h, "B", "room1");
    peer *c = peer_new(&h, "C", "room2"), *d = peer_new(&h, "D", "room2");
    CHECK(a && b && c && d);
    if (a && b && c && d) {
        scenario_allocate(&h, a, b, c);
        scenario_ice(&h, a, b, c);
        scenario_connect(&h, a, b);
        if (h.media_ok) {
            scenario_forward(&h, a, b);
            scenario_announced(&h, a, b);
            scenario_path_priority(&h, a, b);
            scenario_keyframes(&h, a, b);
            scenario_reports(&h, a, b);
            scenario_sender_reports(&h, a, b);
            scenario_loss_recovery(&h, a, b);
            scenario_budgets(&h, a, b);
            scenario_hostile(&h, a, b);
            scenario_expire(&h, a, b);
        }
        scenario_self_expiry(&h, b, c, d);
        peer *e, *f, *g;
        CHECK((e = peer_new(&h, "E", "room3")) != NULL);
        if (e)
            regression_configure_after_dtls(&h, e, b);
        CHECK((f = peer_new(&h, "F", "room1")) != NULL && (g = peer_new(&h, "G", "room1")) != NULL);
        if (f && g)
            regression_fifth_path(&h, f, g);
        scenario_last_n(&h);
        scenario_simulcast(&h);
        test_relay(&h);
        scenario_reconcile(&h);
        scenario_shards(&h);
        for (int i = 0; i < h.n_peers; i++) {
            CHECK_EQ_INT(h.peers[i]->stray, 0);
            CHECK_EQ_INT(h.peers[i]->undecryptable, 0);
            CHECK_EQ_INT(h.peers[i]->unexpected, 0);
        }
        CHECK(atomic_load(&h.wakes) > 0);
    }

    bridge_free(h.b);
    for (int i = 0; i < h.n_peers; i++)
        peer_free(h.peers[i]);
    for (size_t i = 0; i < h.n_msgs; i++)
        json_decref(h.msgs[i].json);
    free(h.msgs);
    printf("bridge_loopback: %lld ms\n", (long long)(now_ms() - started));
    return check_report("bridge_loopback");
}
