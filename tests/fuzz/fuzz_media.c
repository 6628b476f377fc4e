/* fuzz_media: a stateful libFuzzer harness of the bridge's media path
 * (issue 9). One media worker per process (worker_init, port 0, never
 * started: the harness is its thread); per input, N endpoints join through
 * the worker's command queue (WORKER_ADD_ENDPOINT, WORKER_CONFIGURE), are
 * made CONNECTED with SRTP keys the harness knows (the DTLS handshake is
 * skipped) and nominate a UDP path by a real STUN check from the address
 * of a loopback socket of the harness (never read; what the worker sends
 * it is refused before it leaves the worker's socket, see discard_sends).
 * The input then drives them: everything an endpoint sends is protected with
 * its client-side SRTP context, so it passes authentication and reaches the
 * forwarding, RTCP, simulcast and bandwidth logic behind it. At the end of
 * each input every endpoint is expired through the command queue and every
 * ICE-TCP connection freed, so nothing carries over to the next input.
 *
 * Input format (a missing byte reads as 0):
 *   header  n        endpoints ("ep00"...): n < 192: 1 + n % 6 (small and fast),
 *                    else 1 + (n - 192) % 40
 *           s        the first s % (endpoints + 1) of them send simulcast cameras
 *                    (all of them when s >= 128)
 *           f        bits 0-1 layers per camera (0: 3), bit 2 two cameras each,
 *                    bit 3 two conferences (even/odd endpoints), bit 4 a screen
 *                    share on the others, bit 5 their camera has no RTX stream
 *                    (simulcast ones: their first camera's layers and RTX
 *                    SSRCs are declared, layer_rtx),
 *                    bit 6 the last endpoint joins but is not connected,
 *                    bit 7 real SRTP (rooms of up to 6 only): AES-CM/HMAC-SHA1-80
 *                    when bit 6 of s is set, else AES-GCM; without it, SRTP without crypto (fuzz builds
 *                    only, webrtc/srtp.h): half the inputs spend no time in AES,
 *                    and a packet the harness did not protect passes as genuine
 *   then ops, each an op byte (% 8) and its fields:
 *   0 RTP     ep stream flags flags2 seqdelta count len16 fill
 *             stream % 8: audio, camera, screen, cam0 layer 0/1/2, cam1 layer
 *             (stream>>3)%3, a random SSRC; flags: marker, key frame, mid, rid
 *             (repaired-rid on RTX), transport-cc, audio level, padding, RTX;
 *             flags2: bit0 over the endpoint's ICE-TCP connection (any length up
 *             to 65535), bit1 H.264, bit2 voice, bit3 timestamp jump, bits4-7
 *             audio level; count: 1 + count % 16 packets in a row
 *   1 RTCP    ep flags(bit0 TCP) n, then 1 + n % 4 packets: kind and fields
 *             (SR, RR, PLI, FIR, NACK, transport-cc, REMB, BYE, SDES, raw)
 *   2 STUN    ep flags path: Binding request; flags: bad integrity, unknown
 *             ufrag, USE-CANDIDATE, over ICE-TCP, corrupted (offset, xor), another
 *             endpoint's ufrag
 *   3 tick    k: k < 128: 1 + k % 16 ticks of 20 ms; else a jump of
 *             (k & 127) * 250 ms then one tick (consent and layer timeouts)
 *   4 flush   the send batch (end of a receive batch)
 *   5 control ep kind arg: leave, join, reconfigure (arg: profile bits as in f,
 *             cams, layers), pause/resume, constraints (Last-N, selected, view
 *             heights), connect an unconnected endpoint
 *   6 all     flags: every connected endpoint sends one packet of each of its
 *             streams (bit0 audio, bit1 simulcast layers, bit2 plain cameras
 *             and screens, bit3 key frames, bit4 transport-cc)
 *   7 raw     ep flags len bytes: an unprotected datagram (bit0 over TCP); with
 *             bit2, a relay datagram: the bytes behind the relay header of the
 *             relay below (RTP under the proxy's SSRCs, RTCP with STSU/STLY)
 *
 * Every input's first conference also has a relay to another bridge
 * ("relay-9", channel 1, SRTP without crypto, first not limited by a
 * subscription so that forwarding to it runs) and a proxy ("px") of a
 * participant there: audio 0x7000, a simulcast camera 0x7100 (rids l, m, h,
 * their SSRCs bound only by a layer report), a camera 0x7200 with RTX
 * 0x7201.
 *
 * Time: now = worker_now_ms() at the start of the input + what the ticks
 * added; the worker reads the real clock itself in a few places (commands,
 * tick's send times), which only moves by the input's run time.
 * Credentials, SSRCs, keys and serials are fixed per endpoint slot.
 *
 * The spare bytes of each send slot (its sockaddr_storage beyond what an
 * IPv6 address uses, which nothing reads or writes) are poisoned for ASan,
 * so a packet copied into a slot more than 36 bytes past WORKER_BUF is
 * reported however full the batch is (use-after-poison); STOA_FUZZ_NO_POISON=1 turns that off (then only an
 * overflow past the end of the worker, a heap-buffer-overflow, is seen).
 * STOA_FUZZ_DEBUG=1 prints the worker's counters after each input;
 * STOA_FUZZ_MAX_FRAME=n and STOA_FUZZ_MAX_CAMERAS=n steer around a known
 * bug whose fix is pending (frame bytes, simulcast cameras per conference). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <srtp2/srtp.h>

#include "bridge/conference.h"
#include "bridge/relay.h"
#include "bridge/ice_lite.h"
#include "bridge/simulcast.h"
#include "bridge/tcp_transport.h"
#include "bridge/worker.h"
#include "core/log.h"
#include "core/queue.h"
#include "webrtc/dtls.h"
#include "webrtc/rtcp.h"
#include "webrtc/rtp.h"
#include "webrtc/sdp.h"
#include "webrtc/srtp.h"
#include "webrtc/stun.h"
#include "webrtc/twcc.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define MAX_EPS 40
#define PATHS 2
#define FRAME_MAX 65535
#define TCP_PEER_PORT 20000
#define RELAY_ID "relay-9"
#define RELAY_CHANNEL 1

enum { ST_AUDIO, ST_CAM, ST_SCREEN, ST_LAYER /* + cam * 3 + layer */, ST_RANDOM = 9, ST_N = 10 };
static const char *const rids[3] = { "l", "m", "h" };
static const uint16_t layer_height[3] = { 180, 360, 720 };

typedef struct input { const uint8_t *p; size_t n; } input;
static uint8_t u8(input *in) { if (!in->n) return 0; in->n--; return *in->p++; }
static uint16_t u16(input *in) { uint16_t hi = u8(in); return (uint16_t)(hi << 8 | u8(in)); }
static uint32_t u32(input *in) { uint32_t hi = u16(in); return hi << 16 | u16(in); }

/* What the harness knows of one participant (its "browser"). */
typedef struct client {
    bool joined;                   /* joined this input (the worker may have expired it since) */
    int conf;
    int cams, layers;              /* simulcast cameras, layers each */
    bool screen, no_rtx;
    struct client_session *srtp;   /* client side: the outbound session only */
    uint16_t seq[2 * ST_N];        /* per stream, then its RTX stream */
    uint32_t ts[ST_N];
    uint16_t tw_seq;
    int tcp_peer;                  /* our end of its ICE-TCP connection, -1: none */
} client;

static worker *w;
static queue events;
static int path_fd[MAX_EPS][PATHS];
static struct sockaddr_in path_addr[MAX_EPS][PATHS];
static client cl[MAX_EPS];
static int n_eps;
static int64_t now;
static uint64_t serials;
static uint32_t last_lsr, txid_counter;
static twcc_recorder *scratch_twcc;
static uint8_t pkt[FRAME_MAX + 256];

static void wake(void *user) { (void)user; }

/* ---- identities: everything is a function of the slot ---- */

static uint32_t ssrc_of(int i, int stream, bool rtx)
{
    uint32_t base = 0x10000000u + (uint32_t)i * 0x100;
    switch (stream) {
    case ST_AUDIO: return base + 1;
    case ST_CAM: return base + 0x10 + rtx;
    case ST_SCREEN: return base + 0x20 + rtx;
    default: return base + (rtx ? 0x50 : 0x48) + (uint32_t)((stream - ST_LAYER) / 3) * 0x20 +
                    (uint32_t)((stream - ST_LAYER) % 3);
    }
}
static uint32_t group_ssrc(int i, int cam, bool rtx) { return 0x10000000u + (uint32_t)i * 0x100 + 0x40 + (uint32_t)cam * 0x20 + rtx; }
/* "ep%02d" and "room%d" without snprintf: names are made on every op. */
static void ep_id(int i, char out[ENDPOINT_ID_MAX])
{
    memcpy(out, "ep", 2);
    out[2] = (char)('0' + i / 10);
    out[3] = (char)('0' + i % 10);
    out[4] = 0;
}
static void conf_name(int i, char out[CONFERENCE_NAME_MAX])
{
    memcpy(out, "room", 4);
    out[4] = (char)('0' + cl[i].conf);
    out[5] = 0;
}

/* The SRTP profile of every endpoint of the input (see the header). */
static int profile;

static void keys_for(int i, bool bridge_side, stoa_srtp_keys *k)
{
    memset(k, 0, sizeof *k);
    k->profile = profile;
    k->key_len = 16;
    k->salt_len = profile == STOA_SRTP_AEAD_AES_128_GCM ? 12 : 14;
    for (int b = 0; b < 30; b++) {
        uint8_t client_key = (uint8_t)(i * 31 + b + 1), bridge_key = (uint8_t)(client_key ^ 0x5A);
        k->local[b] = bridge_side ? bridge_key : client_key;
        k->remote[b] = bridge_side ? client_key : bridge_key;
    }
}

static endpoint *find_ep(int i)
{
    char id[ENDPOINT_ID_MAX], name[CONFERENCE_NAME_MAX];
    ep_id(i, id);
    conf_name(i, name);
    for (conference *c = w->conferences; c; c = c->next) {
        if (strcmp(c->name, name) != 0)
            continue;
        for (endpoint *ep = c->endpoints; ep; ep = ep->next)
            if (strcmp(ep->id, id) == 0)
                return ep;
    }
    return NULL;
}

/* ---- delivering packets as the loop does ---- */

/* The ICE-TCP connection of slot i (created on first use, as if accepted
 * now), found again by its peer port: the worker may have freed it. */
static tcp_conn *client_tcp(int i)
{
    for (tcp_conn *t = w->tcp.conns; t; t = t->next)
        if (ntohs(((struct sockaddr_in *)&t->peer)->sin_port) == TCP_PEER_PORT + i)
            return t;
    if (cl[i].tcp_peer >= 0)
        close(cl[i].tcp_peer);
    cl[i].tcp_peer = -1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        return NULL;
    tcp_conn *t = calloc(1, sizeof *t);
    if (!t) {
        close(sv[0]);
        close(sv[1]);
        return NULL;
    }
    t->fd = sv[0];
    cl[i].tcp_peer = sv[1];
    struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(TCP_PEER_PORT + i)),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    memcpy(&t->peer, &peer, sizeof peer);
    t->peer_len = sizeof peer;
    t->accepted_ms = now;
    t->next = w->tcp.conns;
    w->tcp.conns = t;
    w->tcp.n_conns++;
    return t;
}

static void drain_tcp_peers(void)
{
    uint8_t sink[65536];
    for (int i = 0; i < MAX_EPS; i++)
        while (cl[i].tcp_peer >= 0 && recv(cl[i].tcp_peer, sink, sizeof sink, MSG_DONTWAIT) > 0)
            ;
}

/* Where deliver copies a datagram for the worker: ASan sees only its len
 * bytes as addressable (the rest, and 16 bytes before, stay poisoned), as
 * it would a malloc of exactly len bytes, which cost a malloc per packet. */
#define RX_GUARD 16
static uint8_t rx_buf[RX_GUARD + FRAME_MAX + RX_GUARD] __attribute__((aligned(16)));

/* Hands buf to the worker as a datagram from slot i's path, or as a frame
 * on its ICE-TCP connection. Copied to a buffer of exactly len bytes. */
static void deliver(int i, int path, bool tcp, const uint8_t *buf, size_t len)
{
    if (len == 0 || (tcp && len > FRAME_MAX))
        return;
    if (!tcp && len > WORKER_BUF)
        len = WORKER_BUF;   /* what recvmmsg keeps of a longer datagram */
    ice_origin o = { (struct sockaddr *)&path_addr[i][path], sizeof path_addr[i][path],
                     { htonl(INADDR_LOOPBACK) }, NULL };
    if (tcp) {
        if (!(o.tcp = client_tcp(i)))
            return;
        o.addr = (struct sockaddr *)&o.tcp->peer;
        o.addr_len = o.tcp->peer_len;
    }
    uint8_t *copy = rx_buf + RX_GUARD;
    UNPOISON(copy, len);
    memcpy(copy, buf, len);
    w->batch_us = now * 1000;
    worker_handle_datagram(w, copy, len, &o, now);
    POISON(copy, len);
}

static void send_stun(int i, int path, bool tcp, uint8_t flags, input *in)
{
    endpoint *ep = find_ep(i);
    endpoint *other = find_ep((i + 1) % n_eps);
    char user[64];
    const char *ufrag = ep ? ep->local_ufrag : "nobody00";
    if (flags & 0x20 && other)
        ufrag = other->local_ufrag;
    if (flags & 0x02)
        ufrag = "zzzzzzzz";
    snprintf(user, sizeof user, "%s:cu%02d", ufrag, i);
    const char *pwd = ep && !(flags & 0x01) ? ep->local_pwd : "not-the-password-0123456789";
    uint8_t txid[STUN_TXID_SIZE] = { 0 };
    uint32_t t = ++txid_counter;
    memcpy(txid, &t, sizeof t);
    txid[11] = (uint8_t)i;
    uint8_t msg[512];
    size_t n = stun_build_binding_request(msg, sizeof msg, txid, user, 0x6E7FFFFF, true, 0x0123456789ABCDEFull,
                                          flags & 0x04, pwd, strlen(pwd));
    if (flags & 0x10 && n) {
        uint8_t off = u8(in), x = u8(in);
        msg[off % n] ^= x ? x : 1;
    }
    deliver(i, path, tcp, msg, n);
}

/* ---- control: the focus's side of the command queue ---- */

static worker_cmd *cmd_new(enum worker_cmd_type type, int i)
{
    worker_cmd *cmd = calloc(1, sizeof *cmd);
    if (!cmd)
        abort();
    cmd->type = type;
    conf_name(i, cmd->conference);
    ep_id(i, cmd->endpoint);
    return cmd;
}

static void run(worker_cmd *cmd)
{
    if (queue_push(&w->commands, cmd) < 0) {
        if (cmd->type == WORKER_ADD_ENDPOINT)
            endpoint_free(cmd->ep);
        free(cmd);
        return;
    }
    worker_drain_commands(w);
}

static int compare_ssrc(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Even slots are not limited in what they are sent; an odd slot was told
 * of the streams of the slots before it in its conference (as a focus
 * would have offered them), the bridge must send it no other. */
static void announce(worker_cmd *cmd, int i)
{
    cmd->n_receives = -1;
    if (i % 2 == 0)
        return;
    int n = 0;
    for (int j = 0; j < i; j++) {
        if (!cl[j].joined || cl[j].conf != cl[i].conf)
            continue;
        uint32_t streams[] = { ssrc_of(j, ST_AUDIO, false), ssrc_of(j, ST_CAM, false), ssrc_of(j, ST_CAM, true),
                               ssrc_of(j, ST_SCREEN, false), ssrc_of(j, ST_SCREEN, true), group_ssrc(j, 0, false),
                               group_ssrc(j, 0, true), group_ssrc(j, 1, false), group_ssrc(j, 1, true) };
        for (size_t k = 0; k < sizeof streams / sizeof streams[0] && n < ENDPOINT_MAX_ANNOUNCED; k++)
            cmd->receives[n++] = streams[k];
    }
    qsort(cmd->receives, (size_t)n, sizeof cmd->receives[0], compare_ssrc);
    cmd->n_receives = n;
}

static void configure(int i)
{
    client *c = &cl[i];
    worker_cmd *cmd = cmd_new(WORKER_CONFIGURE, i);
    snprintf(cmd->remote_ufrag, sizeof cmd->remote_ufrag, "cu%02d", i);
    snprintf(cmd->remote_pwd, sizeof cmd->remote_pwd, "client-password-%02d-0123456789", i);
    int n = 0;
    cmd->ssrcs[n++] = ssrc_of(i, ST_AUDIO, false);
    for (int k = 0; k < c->cams && n < ENDPOINT_MAX_SOURCES; k++, n++) {
        cmd->ssrcs[n] = group_ssrc(i, k, false);
        cmd->video[n] = true;
        cmd->source_rtx[n] = group_ssrc(i, k, true);
        cmd->source_n_rids[n] = c->layers;
        for (int l = 0; l < c->layers; l++)
            snprintf(cmd->source_rids[n][l], SOURCE_RID_MAX, "%s", rids[l]);
        /* "No RTX" on a simulcast sender: it declares its layers' SSRCs and
         * RTX SSRCs instead (as Firefox does), for the first camera. */
        for (int l = 0; k == 0 && c->no_rtx && l < c->layers; l++) {
            cmd->layer_rtx[l].ssrc = ssrc_of(i, ST_LAYER + l, false);
            cmd->layer_rtx[l].rtx = ssrc_of(i, ST_LAYER + l, true);
            cmd->n_layer_rtx = l + 1;
        }
    }
    if (c->cams == 0 && n < ENDPOINT_MAX_SOURCES) {
        cmd->ssrcs[n] = ssrc_of(i, ST_CAM, false);
        cmd->video[n] = true;
        cmd->source_rtx[n++] = c->no_rtx ? 0 : ssrc_of(i, ST_CAM, true);
    }
    if (c->screen && n < ENDPOINT_MAX_SOURCES) {
        cmd->ssrcs[n] = ssrc_of(i, ST_SCREEN, false);
        cmd->video[n] = cmd->source_screen[n] = true;
        cmd->source_rtx[n++] = ssrc_of(i, ST_SCREEN, true);
    }
    cmd->n_sources = n;
    announce(cmd, i);
    run(cmd);
}

/* Skips DTLS: the keys the handshake would have exported, then what
 * try_connect does, then a nominating check from path 0. */
static void connect_ep(int i)
{
    endpoint *ep = find_ep(i);
    if (!ep || ep->state == ENDPOINT_CONNECTED || ep->state == ENDPOINT_DEAD)
        return;
    stoa_srtp_keys k;
    keys_for(i, true, &k);
    if (stoa_srtp_init(&ep->srtp, &k) < 0)
        return;
    ep->srtp_ready = true;
    ep->dtls_done = true;
    ep->state = ENDPOINT_CONNECTED;
    ep->next_report_ms = now + 500;
    conference_request_keyframes(ep->conf, ep, now);
    send_stun(i, 0, false, 0x04, NULL);
}

/* A client's session outlives the input, because srtp_create costs as much
 * as the rest of a join: one per slot and profile, all made before the
 * first input, emptied of the streams an input made in it (one per SSRC it
 * protected) before the next: each input starts from a session as good as
 * new (the streams hold the sequence and rollover state; the template they
 * are cloned from keeps only a count of packets against a key limit of
 * 2^48), and frees what it allocated, as libFuzzer's leak check expects
 * (more mallocs than frees and it runs the input again). */
#define SESSION_SSRCS 64
enum { SESSION_NULL, SESSION_CM, SESSION_GCM, SESSION_PROFILES };
static const int session_profile[SESSION_PROFILES] = { STOA_SRTP_NULL_FOR_FUZZING, STOA_SRTP_AES128_CM_SHA1_80,
                                                       STOA_SRTP_AEAD_AES_128_GCM };
typedef struct client_session {
    srtp_t s;
    uint32_t ssrcs[SESSION_SSRCS]; /* network order, as libsrtp keys its streams */
    int n_ssrcs;                   /* SESSION_SSRCS + 1: more than it remembers */
} client_session;
static client_session sessions[MAX_EPS][SESSION_PROFILES];

/* What the browser would have after DTLS: an outbound session with its
 * keys (it never reads what the bridge sends, so no inbound one). */
static srtp_t client_session_new(int i, int prof)
{
    stoa_srtp_keys k;
    keys_for(i, false, &k);   /* its key bytes are the same for every profile */
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    if (prof == STOA_SRTP_AES128_CM_SHA1_80) {
        srtp_crypto_policy_set_rtp_default(&policy.rtp);
        srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
    } else if (prof == STOA_SRTP_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    } else {
        srtp_crypto_policy_set_null_cipher_hmac_null(&policy.rtp);
        srtp_crypto_policy_set_null_cipher_hmac_null(&policy.rtcp);
    }
    policy.ssrc.type = ssrc_any_outbound;
    policy.key = k.local;
    policy.window_size = 1024;
    policy.allow_repeat_tx = 1;
    srtp_t s;
    return srtp_create(&s, &policy) == srtp_err_status_ok ? s : NULL;
}

static void session_note_ssrc(client_session *cs, const uint8_t *ssrc)
{
    uint32_t v;
    memcpy(&v, ssrc, sizeof v);
    for (int k = 0; k < cs->n_ssrcs && k < SESSION_SSRCS; k++)
        if (cs->ssrcs[k] == v)
            return;
    if (cs->n_ssrcs < SESSION_SSRCS)
        cs->ssrcs[cs->n_ssrcs++] = v;
    else
        cs->n_ssrcs = SESSION_SSRCS + 1;
}

/* Too many SSRCs to remember (random ones): a new session instead. */
static void session_empty(client_session *cs, int i, int prof)
{
    if (cs->n_ssrcs > SESSION_SSRCS) {
        if (cs->s)
            srtp_dealloc(cs->s);
        cs->s = client_session_new(i, prof);
    }
    for (int k = 0; cs->s && k < cs->n_ssrcs; k++)
        srtp_remove_stream(cs->s, cs->ssrcs[k]);
    cs->n_ssrcs = 0;
}

static void client_srtp(int i)
{
    int p = profile == STOA_SRTP_AES128_CM_SHA1_80 ? SESSION_CM
          : profile == STOA_SRTP_AEAD_AES_128_GCM ? SESSION_GCM : SESSION_NULL;
    client_session *cs = &sessions[i][p];
    session_empty(cs, i, profile);
    cl[i].srtp = cs->s ? cs : NULL;
}

static void join(int i, bool connect)
{
    client *c = &cl[i];
    endpoint *ep = endpoint_new("");
    if (!ep)
        abort();
    ep_id(i, ep->id);
    /* Fixed credentials and numbers, so that an input replays the same. */
    snprintf(ep->local_ufrag, sizeof ep->local_ufrag, "u%02dx%04u", i, (unsigned)(serials % 10000));
    snprintf(ep->local_pwd, sizeof ep->local_pwd, "bridge-password-%02d-0123456789abc", i);
    ep->bridge_ssrc = 0xB0000000u + (uint32_t)i;
    ep->tw_seq_out = (uint16_t)(1000 * i);
    ep->serial = ++serials;
    worker_cmd *cmd = cmd_new(WORKER_ADD_ENDPOINT, i);
    cmd->ep = ep;
    run(cmd);
    client_srtp(i);
    c->joined = true;
    configure(i);
    if (connect)
        connect_ep(i);
}

/* STOA_FUZZ_MAX_FRAME and STOA_FUZZ_MAX_CAMERAS keep the fuzzer away from
 * a known bug while its fix is pending: ICE-TCP frames of at most that
 * many bytes, at most that many simulcast cameras per conference. */
static size_t max_frame = FRAME_MAX;
static int max_cameras = 1000;

static void set_profile(int i, uint8_t f, bool simulcast)
{
    int others = 0;
    for (int j = 0; j < MAX_EPS; j++)
        others += j != i && cl[j].conf == cl[i].conf ? cl[j].cams : 0;
    cl[i].cams = simulcast ? (f & 4 ? 2 : 1) : 0;
    if (others + cl[i].cams > max_cameras)
        cl[i].cams = max_cameras > others ? max_cameras - others : 0;
    cl[i].layers = f & 3 ? f & 3 : 3;
    cl[i].screen = !simulcast && (f & 0x10);
    cl[i].no_rtx = f & 0x20;
}

static void control(input *in)
{
    int i = u8(in) % n_eps;
    uint8_t kind = u8(in), arg = u8(in);
    endpoint *ep = find_ep(i);
    switch (kind % 6) {
    case 0:
        if (ep)
            run(cmd_new(WORKER_EXPIRE, i));
        break;
    case 1:
        if (!ep)
            join(i, arg & 1);
        break;
    case 2:
        if (!ep)
            break;
        set_profile(i, arg, arg & 0x80);
        configure(i);
        break;
    case 3: {
        worker_cmd *cmd = cmd_new(WORKER_PAUSE, i);
        cmd->paused = arg & 1;
        int s = (arg >> 1) % 4;
        cmd->ssrcs[0] = s == 0 ? ssrc_of(i, ST_AUDIO, false) : s == 1 ? ssrc_of(i, ST_CAM, false)
                      : s == 2 ? ssrc_of(i, ST_SCREEN, false) : group_ssrc(i, (arg >> 3) & 1, false);
        cmd->n_sources = 1;
        run(cmd);
        break;
    }
    case 4: {
        worker_cmd *cmd = cmd_new(WORKER_CONSTRAINTS, i);
        cmd->last_n = (int)(arg % 6) - 1;
        uint8_t sel = u8(in), views = u8(in);
        cmd->n_selected = sel & 1 ? 1 : 0;
        ep_id((sel >> 1) % n_eps, cmd->selected[0]);
        for (int k = 0; k < 4; k++) {
            ep_id((i + 1 + k) % n_eps, cmd->view_heights[k].id);
            static const uint16_t heights[4] = { 0, 180, 360, 720 };
            cmd->view_heights[k].height = heights[(views >> (2 * k)) & 3];
        }
        cmd->n_view_heights = (arg >> 4) % 5;
        run(cmd);
        break;
    }
    default:
        connect_ep(i);
        break;
    }
}

/* ---- media ---- */

typedef struct rtp_opts {
    int stream;                    /* ST_* */
    uint32_t ssrc;
    uint8_t flags, flags2;
    uint16_t seq, osn;
    size_t len;                    /* payload bytes wanted */
    uint8_t fill;
} rtp_opts;

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* Builds one RTP packet of slot i into pkt (cap bytes); returns its length. */
static size_t build_rtp(int i, const rtp_opts *o, size_t cap)
{
    client *c = &cl[i];
    bool video = o->stream != ST_AUDIO, rtx = o->flags & 0x80, h264 = o->flags2 & 2;
    bool layer = o->stream >= ST_LAYER && o->stream < ST_RANDOM;
    uint8_t pt = !video ? SDP_PT_OPUS : h264 ? (rtx ? SDP_PT_H264_RTX : SDP_PT_H264) : (rtx ? SDP_PT_VP8_RTX : SDP_PT_VP8);
    uint8_t *p = pkt;
    p[0] = 0x80 | (o->flags & 0x40 ? 0x20 : 0);
    p[1] = (uint8_t)((o->flags & 1 ? 0x80 : 0) | pt);
    put16(p + 2, o->seq);
    put32(p + 4, c->ts[o->stream < ST_N ? o->stream : 0]);
    put32(p + 8, o->ssrc);
    size_t n = 12;
    /* One-byte header extensions (RFC 8285), ids fixed by the offer. */
    uint8_t ext[64];
    size_t e = 0;
    if (o->flags & 0x04) {
        ext[e++] = SDP_EXT_MID << 4;
        ext[e++] = (uint8_t)('0' + o->stream % 10);
    }
    if (o->flags & 0x08 && layer) {
        ext[e++] = (uint8_t)((rtx ? SDP_EXT_REPAIRED_RID : SDP_EXT_RID) << 4);
        ext[e++] = (uint8_t)rids[(o->stream - ST_LAYER) % 3][0];
    }
    if (o->flags & 0x10) {
        ext[e++] = SDP_EXT_TRANSPORT_CC << 4 | 1;
        put16(ext + e, c->tw_seq++);
        e += 2;
    }
    if (o->flags & 0x20) {
        ext[e++] = SDP_EXT_AUDIO_LEVEL << 4;
        ext[e++] = (uint8_t)((o->flags2 & 4 ? 0x80 : 0) | (o->flags2 >> 4) * 8);
    }
    if (e) {
        p[0] |= 0x10;
        while (e % 4)
            ext[e++] = 0;
        put16(p + n, RTP_EXT_PROFILE_ONE_BYTE);
        put16(p + n + 2, (uint16_t)(e / 4));
        memcpy(p + n + 4, ext, e);
        n += 4 + e;
    }
    size_t start = n;
    if (rtx) {
        put16(p + n, o->osn);
        n += 2;
    }
    if (video && h264) {
        p[n++] = o->flags & 2 ? 0x65 : 0x41;
    } else if (video) {
        /* VP8 descriptor with a 15-bit PictureID, then the frame tag (RFC 7741,
         * RFC 6386 9.1): a key frame also has the start code and its size. */
        uint16_t pic = (uint16_t)(o->seq & 0x7FFF);
        p[n++] = 0x90;
        p[n++] = 0x80;
        p[n++] = (uint8_t)(0x80 | pic >> 8);
        p[n++] = (uint8_t)pic;
        p[n++] = o->flags & 2 ? 0x10 : 0x11;
        p[n++] = 0;
        p[n++] = 0;
        if (o->flags & 2) {
            uint16_t h = layer ? layer_height[(o->stream - ST_LAYER) % 3] : 720, wd = (uint16_t)(h * 16 / 9);
            uint8_t key[7] = { 0x9d, 0x01, 0x2a, (uint8_t)wd, (uint8_t)(wd >> 8), (uint8_t)h, (uint8_t)(h >> 8) };
            memcpy(p + n, key, sizeof key);
            n += sizeof key;
        }
    }
    size_t want = start + o->len;
    if (want > cap)
        want = cap;
    if (n < want) {
        memset(p + n, o->fill, want - n);
        n = want;
    }
    if (o->flags & 0x40 && n + 4 <= cap) {
        memset(p + n, 0, 3);
        p[n + 3] = 4;
        n += 4;
    }
    return n;
}

/* Protects pkt[0..len) as slot i sends it and delivers it. */
static void send_protected(int i, bool rtcp, bool tcp, size_t len)
{
    client *c = &cl[i];
    int n = (int)len;
    if (!c->srtp || len + STOA_SRTP_MAX_TRAILER > sizeof pkt)
        return;
    if (len >= (rtcp ? 8u : 12u))
        session_note_ssrc(c->srtp, pkt + (rtcp ? 4 : 8));
    srtp_t s = c->srtp->s;
    if (s && (rtcp ? srtp_protect_rtcp(s, pkt, &n) : srtp_protect(s, pkt, &n)) == srtp_err_status_ok)
        deliver(i, 0, tcp, pkt, (size_t)n);
}

static int pick_stream(int i, uint8_t s)
{
    int stream = s % 8;
    if (stream >= 3)
        stream = stream == 7 ? ST_RANDOM : stream == 6 ? ST_LAYER + 3 + (s >> 3) % 3 : ST_LAYER + stream - 3;
    (void)i;
    return stream;
}

static void send_rtp(int i, int stream, uint8_t flags, uint8_t flags2, int8_t seqdelta, int count, size_t len,
                     uint8_t fill, uint32_t random_ssrc)
{
    client *c = &cl[i];
    bool rtx = flags & 0x80;
    for (int k = 0; k < count; k++) {
        rtp_opts o = { .stream = stream, .flags = flags, .flags2 = flags2, .len = len, .fill = fill };
        o.ssrc = stream == ST_RANDOM ? random_ssrc : ssrc_of(i, stream, rtx);
        uint16_t *seq = &c->seq[stream + (rtx ? ST_N : 0)];
        *seq = (uint16_t)(*seq + (k == 0 && seqdelta ? seqdelta : 1));
        o.seq = *seq;
        o.osn = (uint16_t)(c->seq[stream] - (uint16_t)(fill % 8));   /* a recent packet of the stream */
        c->ts[stream] += stream == ST_AUDIO ? 960 : (flags2 & 8 ? 0x40000000u : 3000);
        bool tcp = flags2 & 1;
        size_t n = build_rtp(i, &o, tcp ? max_frame - STOA_SRTP_MAX_TRAILER : WORKER_BUF);
        send_protected(i, false, tcp, n);
    }
}

static void op_rtp(input *in)
{
    int i = u8(in) % n_eps;
    int stream = pick_stream(i, u8(in));
    uint8_t flags = u8(in), flags2 = u8(in);
    int8_t seqdelta = (int8_t)u8(in);
    int count = 1 + u8(in) % 16;
    size_t len = u16(in);
    uint8_t fill = u8(in);
    if (!(flags2 & 1))
        len %= 1400;
    send_rtp(i, stream, flags, flags2, seqdelta, count, len, fill, stream == ST_RANDOM ? u32(in) : 0);
}

/* The SSRC a packet of slot i talks about: one of another endpoint's
 * streams as receivers know them, or i's own. */
static uint32_t target_ssrc(int i, input *in, int *owner, int *stream)
{
    uint8_t t = u8(in), s = u8(in);
    int j = t % n_eps;
    *owner = j;
    *stream = ST_AUDIO;
    switch (s % 8) {
    case 0: return ssrc_of(j, ST_AUDIO, false);
    case 1: *stream = ST_CAM; return ssrc_of(j, ST_CAM, false);
    case 2: return ssrc_of(j, ST_CAM, true);
    case 3: *stream = ST_SCREEN; return ssrc_of(j, ST_SCREEN, false);
    case 4: *stream = -1; return group_ssrc(j, 0, false);
    case 5: *stream = -2; return group_ssrc(j, 1, false);
    case 6: *stream = ST_LAYER + (s >> 3) % 3; return ssrc_of(j, *stream, false);
    default: { endpoint *ep = find_ep(i); return ep ? ep->bridge_ssrc : 0xB0000000u + (uint32_t)i; }
    }
}

/* The highest sequence number of that stream as receiver i sees it. */
static uint16_t seen_seq(int i, int owner, int stream, uint32_t ssrc)
{
    if (stream >= 0)
        return cl[owner].seq[stream];
    endpoint *me = find_ep(i);
    out_stream *os = me ? simulcast_stream(me, ssrc) : NULL;
    return os ? os->rewrite.last_seq : 0;
}

static size_t rtcp_part(int i, input *in, uint8_t *out, size_t cap)
{
    uint32_t me = ssrc_of(i, ST_AUDIO, false);
    uint8_t kind = u8(in);
    int owner, stream;
    switch (kind % 10) {
    case 0: {   /* SR about one of its own streams */
        rtcp_sr sr = { 0 };
        int s = pick_stream(i, u8(in));
        sr.ssrc = ssrc_of(i, s == ST_RANDOM ? ST_AUDIO : s, false);
        sr.ntp_sec = 0xE0000000u + (uint32_t)now / 1000 + u8(in);
        sr.ntp_frac = (uint32_t)u16(in) << 16;
        sr.rtp_timestamp = cl[i].ts[s == ST_RANDOM ? 0 : s];
        sr.packet_count = u8(in);
        last_lsr = (sr.ntp_sec << 16) | (sr.ntp_frac >> 16);
        sr.n_blocks = u8(in) % 3;
        for (int b = 0; b < sr.n_blocks; b++) {
            sr.blocks[b].ssrc = target_ssrc(i, in, &owner, &stream);
            sr.blocks[b].lsr = last_lsr;
            sr.blocks[b].dlsr = (uint32_t)u8(in) << 8;
        }
        return rtcp_build_sr(out, cap, &sr);
    }
    case 1: {   /* RR: round trip to the bridge, from the last relayed SR */
        rtcp_report_block b[3] = { 0 };
        size_t nb = u8(in) % 4;
        for (size_t k = 0; k < nb; k++) {
            b[k].ssrc = target_ssrc(i, in, &owner, &stream);
            b[k].fraction_lost = u8(in);
            b[k].highest_seq = seen_seq(i, owner, stream, b[k].ssrc);
            b[k].lsr = last_lsr;
            b[k].dlsr = (uint32_t)u8(in) << 8;
        }
        return rtcp_build_rr(out, cap, me, b, nb);
    }
    case 2:
        return rtcp_build_pli(out, cap, me, target_ssrc(i, in, &owner, &stream));
    case 3: {
        uint32_t t = target_ssrc(i, in, &owner, &stream);
        return rtcp_build_fir(out, cap, me, t, u8(in));
    }
    case 4: {   /* NACK of packets the receiver saw lately */
        uint32_t t = target_ssrc(i, in, &owner, &stream);
        uint16_t top = seen_seq(i, owner, stream, t), seqs[16];
        uint8_t back = u8(in), n = 1 + u8(in) % 16;
        for (int k = 0; k < n; k++)
            seqs[k] = (uint16_t)(top - back - k);
        return rtcp_build_nack(out, cap, me, t, seqs, n);
    }
    case 5: {   /* transport-cc feedback about what the bridge sent it */
        endpoint *ep = find_ep(i);
        uint8_t count = 1 + u8(in) % 64, lost = u8(in), step = u8(in);
        uint16_t base = (uint16_t)((ep ? ep->tw_seq_out : 0) - count);
        memset(scratch_twcc, 0, sizeof *scratch_twcc);
        int64_t t = now * 1000;
        for (int k = 0; k < count; k++, t += (int64_t)step * 250 + 100)
            if (!(lost & (1u << (k % 8))) || k == 0)
                twcc_recorder_on_packet(scratch_twcc, (uint16_t)(base + k), t);
        return twcc_recorder_build(scratch_twcc, me, target_ssrc(i, in, &owner, &stream), out, cap);
    }
    case 6: {
        uint32_t ssrcs[2] = { target_ssrc(i, in, &owner, &stream), 0 };
        ssrcs[1] = target_ssrc(i, in, &owner, &stream);
        return rtcp_build_remb(out, cap, me, (uint64_t)u16(in) * 1000, ssrcs, 2);
    }
    case 7: {
        uint32_t s = target_ssrc(i, in, &owner, &stream);
        return rtcp_build_bye(out, cap, &s, 1);
    }
    case 8:
        return rtcp_build_sdes_cname(out, cap, me, "fuzz-cname");
    default: {  /* raw bytes with a plausible header */
        size_t n = 4 + 4 * (u8(in) % 8);
        if (n > cap)
            return 0;
        for (size_t k = 0; k < n; k++)
            out[k] = u8(in);
        out[0] = (uint8_t)(0x80 | (out[0] & 0x1F));
        out[1] = (uint8_t)(192 + out[1] % 16);
        put16(out + 2, (uint16_t)(n / 4 - 1));
        return n;
    }
    }
}

static void op_rtcp(input *in)
{
    int i = u8(in) % n_eps;
    uint8_t flags = u8(in);
    int parts = 1 + u8(in) % 4;
    size_t len = 0;
    for (int k = 0; k < parts; k++)
        len += rtcp_part(i, in, pkt + len, 1200 - len);
    if (len)
        send_protected(i, true, flags & 1, len);
}

/* Every connected endpoint sends one packet on each of its streams. */
static void op_all(input *in)
{
    uint8_t f = u8(in);
    uint8_t flags = (uint8_t)(0x04 | 0x08 | (f & 8 ? 0x02 : 0) | (f & 0x10 ? 0x10 : 0));
    for (int i = 0; i < n_eps; i++) {
        endpoint *ep = find_ep(i);
        if (!ep || ep->state != ENDPOINT_CONNECTED)
            continue;
        if (f & 1)
            send_rtp(i, ST_AUDIO, flags | 0x20, 0x84, 0, 1, 40, 0xAA, 0);
        for (int cam = 0; f & 2 && cam < cl[i].cams; cam++)
            for (int l = 0; l < cl[i].layers; l++)
                send_rtp(i, ST_LAYER + cam * 3 + l, flags | 1, 0, 0, 1, 300, 0x55, 0);
        if (f & 4 && cl[i].cams == 0)
            send_rtp(i, ST_CAM, flags | 1, 0, 0, 1, 300, 0x33, 0);
        if (f & 4 && cl[i].screen)
            send_rtp(i, ST_SCREEN, flags | 1, 0, 0, 1, 300, 0x44, 0);
    }
}

static void drain_events(void)
{
    worker_event *ev;
    while ((ev = queue_pop(&events)) != NULL) {
        free(ev->forwarded);
        free(ev);
    }
}

static void op_tick(input *in)
{
    uint8_t k = u8(in);
    int ticks = k < 128 ? 1 + k % 16 : 1;
    if (k >= 128)
        now += (int64_t)(k & 127) * 250;
    for (int t = 0; t < ticks; t++) {
        now += 20;
        worker_tick(w, now);
        worker_flush(w);
    }
    drain_tcp_peers();
    drain_events();
}

static void op_raw(input *in)
{
    int i = u8(in) % n_eps;
    uint8_t flags = u8(in);
    size_t len = u8(in);
    uint8_t buf[RELAY_HEADER + 256] = { RELAY_MARK, 0, 0, RELAY_CHANNEL };
    size_t at = flags & 4 ? RELAY_HEADER : 0;
    for (size_t k = 0; k < len; k++)
        buf[at + k] = u8(in);
    deliver(i, (flags >> 1) & 1, (flags & 1) && !at, buf, at + len);
}

/* ---- the relay of the first conference ---- */

static void add_relay(void)
{
    endpoint *relay = endpoint_new(RELAY_ID), *proxy = endpoint_new("px");
    stoa_srtp_keys k;
    int saved = profile;
    profile = STOA_SRTP_NULL_FOR_FUZZING;
    keys_for(60, true, &k);
    profile = saved;
    if (!relay || !proxy || stoa_srtp_init(&relay->srtp, &k) < 0)
        abort();
    relay->srtp_ready = true;
    relay->kind = ENDPOINT_RELAY;
    relay->state = ENDPOINT_CONNECTED;
    relay->n_announced = -1;
    relay->channel = RELAY_CHANNEL;
    relay->peer_channel = 2;
    relay->bridge_ssrc = 0xB0FFFF00u;
    relay->bwe = bwe_new(1000000, 100000, 20000000);
    memcpy(&relay->addr, &path_addr[0][1], sizeof path_addr[0][1]);
    relay->addr_len = sizeof path_addr[0][1];
    relay->has_addr = true;
    relay->serial = ++serials;
    worker_cmd *cmd = cmd_new(WORKER_ADD_ENDPOINT, 0);
    snprintf(cmd->endpoint, sizeof cmd->endpoint, "%s", RELAY_ID);
    cmd->ep = relay;
    run(cmd);
    proxy->kind = ENDPOINT_PROXY;
    proxy->state = ENDPOINT_CONNECTED;
    snprintf(proxy->via_id, sizeof proxy->via_id, "%s", RELAY_ID);
    proxy->serial = ++serials;
    cmd = cmd_new(WORKER_ADD_ENDPOINT, 0);
    snprintf(cmd->endpoint, sizeof cmd->endpoint, "px");
    cmd->ep = proxy;
    run(cmd);
    cmd = cmd_new(WORKER_CONFIGURE, 0);
    snprintf(cmd->endpoint, sizeof cmd->endpoint, "px");
    cmd->n_receives = -1;
    static const uint32_t ssrcs[3] = { 0x7000, 0x7100, 0x7200 };
    for (int s = 0; s < 3; s++) {
        cmd->ssrcs[s] = ssrcs[s];
        cmd->video[s] = s > 0;
    }
    cmd->source_rtx[1] = 0x7101;
    cmd->source_rtx[2] = 0x7201;
    for (int l = 0; l < 3; l++)
        snprintf(cmd->source_rids[1][l], SOURCE_RID_MAX, "%s", rids[l]);
    cmd->source_n_rids[1] = 3;
    cmd->n_sources = 3;
    run(cmd);
}

/* ---- per process, per input ---- */

static void poison_send_slots(void)
{
#ifdef HAVE_ASAN
    const char *off = getenv("STOA_FUZZ_NO_POISON");
    if (off && *off && strcmp(off, "0") != 0)
        return;
    /* From the first whole 8-byte granule past what an IPv6 address uses:
     * a poisoned granule reads as use-after-poison (the 4 bytes of padding
     * after buf would share a granule with the address, and only read as
     * an unknown-crash). */
    size_t from = (sizeof(struct sockaddr_in6) + 7) & ~(size_t)7;
    for (int k = 0; k < WORKER_OUT_BATCH; k++)
        ASAN_POISON_MEMORY_REGION((uint8_t *)&w->out[k].addr + from, sizeof(struct sockaddr_storage) - from);
#endif
}

/* What the worker sends goes nowhere, refused before the kernel copies or
 * routes it: an IPv6-only socket rejects an IPv4 destination (ENETUNREACH),
 * which the worker takes as it does a full buffer (the batch is dropped),
 * instead of a pass through loopback per packet to a socket that dropped
 * it. Left as it is when the kernel has no IPv6. */
static void discard_sends(void)
{
    int on = 1, fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) == 0 &&
        sendto(fd, "", 1, 0, (struct sockaddr *)&path_addr[0][0], sizeof path_addr[0][0]) < 0 &&
        errno == ENETUNREACH)
        dup2(fd, w->udp_fd);
    close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_set_level(LOG_ERROR);
    const char *e = getenv("STOA_FUZZ_MAX_FRAME");
    if (e && atoi(e) > STOA_SRTP_MAX_TRAILER + 64 && atoi(e) <= FRAME_MAX)
        max_frame = (size_t)atoi(e);
    if ((e = getenv("STOA_FUZZ_MAX_CAMERAS")) != NULL && *e)
        max_cameras = atoi(e);
    dtls_ctx *dtls = dtls_ctx_new();
    w = calloc(1, sizeof *w);
    scratch_twcc = calloc(1, sizeof *scratch_twcc);
    if (!dtls || !w || !scratch_twcc || stoa_srtp_global_init() < 0 || queue_init(&events, false) < 0 ||
        worker_init(w, 0, 0, dtls, &events, wake, NULL) < 0) {
        fprintf(stderr, "fuzz_media: cannot set up the worker\n");
        abort();
    }
    /* libsrtp's NSS backend shuts NSS down with its last context and loads
     * it again (dlopen) with the next: one context kept for the whole
     * process makes every input's contexts cheap. */
    static stoa_srtp keep_nss_loaded;
    stoa_srtp_keys k;
    profile = STOA_SRTP_AEAD_AES_128_GCM;
    keys_for(0, true, &k);
    if (stoa_srtp_init(&keep_nss_loaded, &k) < 0)
        abort();
    w->consent_timeout_ms = 30000;
    w->remb_bitrate = 2000000;
    for (int i = 0; i < MAX_EPS; i++) {
        cl[i].tcp_peer = -1;
        for (int p = 0; p < PATHS; p++) {
            struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
            socklen_t len = sizeof a;
            int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
                getsockname(fd, (struct sockaddr *)&a, &len) < 0)
                abort();
            int small = 4096;
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
            path_fd[i][p] = fd;
            path_addr[i][p] = a;
        }
    }
    for (int i = 0; i < MAX_EPS; i++)
        for (int p = 0; p < SESSION_PROFILES; p++)
            if (!(sessions[i][p].s = client_session_new(i, session_profile[p])))
                abort();
    discard_sends();
    POISON(rx_buf, sizeof rx_buf);
    poison_send_slots();
    return 0;
}

static void reset(void)
{
    static const char *debug = NULL;
    static bool debug_read;
    if (!debug_read) {
        debug = getenv("STOA_FUZZ_DEBUG");
        debug_read = true;
    }
    if (debug && *debug) {
        worker_counters *k = &w->counters;
        fprintf(stderr, "fuzz_media: rx %llu forwarded %llu dropped", (unsigned long long)k->rx_datagrams,
                (unsigned long long)k->rtp_forwarded);
        for (int r = 0; r < MEDIA_DROP_REASONS; r++)
            if (k->dropped[r])
                fprintf(stderr, " %s %llu", media_drop_names[r], (unsigned long long)k->dropped[r]);
        fprintf(stderr, "; nacks %llu/%llu resent %llu twcc %llu probes %llu\n",
                (unsigned long long)k->nacks_received, (unsigned long long)k->nacks_sent,
                (unsigned long long)k->retransmitted, (unsigned long long)k->twcc_feedback_sent,
                (unsigned long long)k->probe_packets);
        memset(k, 0, sizeof *k);
    }
    worker_cmd *gone = cmd_new(WORKER_EXPIRE, 0);
    snprintf(gone->endpoint, sizeof gone->endpoint, "%s", RELAY_ID);
    run(gone);   /* its proxy with it */
    for (int i = 0; i < n_eps; i++)
        if (find_ep(i))
            run(cmd_new(WORKER_EXPIRE, i));
    if (w->conferences)
        abort();   /* an endpoint the harness cannot name: a harness bug */
    for (tcp_conn *t = w->tcp.conns; t; t = t->next) {
        t->owner = NULL;
        t->accepted_ms = INT64_MIN / 2;
    }
    tcp_transport_expire(&w->tcp, 0, NULL, NULL);
    worker_flush(w);
    drain_events();
    for (int i = 0; i < MAX_EPS; i++) {
        if (cl[i].tcp_peer >= 0)
            close(cl[i].tcp_peer);
        if (cl[i].srtp)
            session_empty(cl[i].srtp, i, session_profile[cl[i].srtp - sessions[i]]);
        memset(&cl[i], 0, sizeof cl[i]);
        cl[i].tcp_peer = -1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in = { data, size };
    now = worker_now_ms();
    serials = 0;
    last_lsr = 0;
    txid_counter = 0;   /* an input's STUN transaction ids depend on it alone */
    uint8_t b = u8(&in);
    n_eps = b < 0xC0 ? 1 + b % 6 : 1 + (b - 0xC0) % MAX_EPS;
    b = u8(&in);
    int n_sim = b & 0x80 ? n_eps : b % (n_eps + 1);
    uint8_t f = u8(&in);
    /* Real SRTP in small rooms only: in a room of 40 every packet is
     * protected once per receiver, and with NSS's contexts (two to eight
     * allocations a packet) such an input took 245 ms against 51 ms
     * without crypto. What the profile changes in Stoa's code (trailer
     * lengths, SRTCP) is the same with 6 endpoints as with 40. */
    profile = !(f & 0x80) || n_eps > 6 ? STOA_SRTP_NULL_FOR_FUZZING
            : b & 0x40                 ? STOA_SRTP_AES128_CM_SHA1_80
                                       : STOA_SRTP_AEAD_AES_128_GCM;
    for (int i = 0; i < n_eps; i++) {
        cl[i].conf = f & 8 ? i % 2 : 0;
        set_profile(i, f, i < n_sim);
        join(i, !(f & 0x40 && i == n_eps - 1));
    }
    add_relay();
    worker_flush(w);
    while (in.n) {
        switch (u8(&in) % 8) {
        case 0: op_rtp(&in); break;
        case 1: op_rtcp(&in); break;
        case 2: {
            int i = u8(&in) % n_eps;
            uint8_t flags = u8(&in), path = u8(&in) % PATHS;
            send_stun(i, path, flags & 0x08, flags, &in);
            break;
        }
        case 3: op_tick(&in); break;
        case 4: worker_flush(w); drain_tcp_peers(); break;
        case 5: control(&in); break;
        case 6: op_all(&in); break;
        default: op_raw(&in); break;
        }
    }
    reset();
    return 0;
}
