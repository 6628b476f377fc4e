/* Media threads of stoa-load: per transport, ICE (STUN checks as the
 * controlling or controlled agent, answering the peer's checks), a DTLS
 * client or server, SRTP; synthetic Opus (50 packets/s) and VP8 (frames at a
 * bitrate, split into packets of at most MEDIA_MTU_PAYLOAD bytes) stamped for
 * the receivers; and the receive side that unprotects, reads the stamps and
 * accounts loss and delay. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>

#include "load.h"
#include "stamp.h"
#include "core/log.h"
#include "core/random.h"
#include "webrtc/rtcp.h"
#include "webrtc/rtp.h"
#include "webrtc/sdp.h"
#include "webrtc/stun.h"
#include "core/bytes.h"

#define MEDIA_MTU_PAYLOAD 1100
#define AUDIO_PAYLOAD 120                /* bytes: ~48 kbit/s Opus */
#define CHECK_INTERVAL_NS 50000000LL     /* until the first success */
#define CONSENT_INTERVAL_NS 2500000000LL
#define MAX_CATCH_UP_NS 200000000LL      /* after a stall, skip rather than burst */
#define KEYFRAME_INTERVAL_NS 4000000000LL /* simulcast: every layer sends a key frame at least this often */
#define TWCC_INTERVAL_NS 50000000LL      /* transport-cc feedback to the bridge, as browsers send it */
#define PKT_MAX 1600
#define RX_BATCH 32
#define TCP_FRAME_MAX 65535

int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

pc *pc_new(participant *p, const char *bind_ip)
{
    pc *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->p = p;
    c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof a;
    if (c->fd < 0 || inet_pton(AF_INET, bind_ip, &a.sin_addr) != 1 ||
        bind(c->fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(c->fd, (struct sockaddr *)&c->local, &len) < 0) {
        if (c->fd >= 0)
            close(c->fd);
        free(c);
        return NULL;
    }
    /* Large buffers: the generator must not be where packets are lost. */
    int size = 4 << 20;
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        (void)setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
        (void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    random_ice_chars(c->local_ufrag, 8);
    random_ice_chars(c->local_pwd, 24);
    random_bytes(&c->tiebreaker, sizeof c->tiebreaker);
    c->audio_pt = SDP_PT_OPUS;
    c->video_pt = SDP_PT_VP8;
    c->remote_video_pt = SDP_PT_VP8;
    random_bytes(c->rtp_seq, sizeof c->rtp_seq);
    random_bytes(c->rtp_ts, sizeof c->rtp_ts);
    return c;
}

void pc_free(pc *c)
{
    if (!c)
        return;
    if (c->srtp_ready)
        stoa_srtp_free(&c->srtp);
    dtls_conn_free(c->dtls);
    if (c->fd >= 0)
        close(c->fd);
    free(c->twcc);
    free(c->tcp_rx);
    free(c);
}

int pc_use_tcp(pc *c, const char *bind_ip)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof a;
    uint8_t *rx = malloc(2 + TCP_FRAME_MAX);
    /* Connected while blocking (loopback or LAN: quick), then reads never
     * block (MSG_DONTWAIT) while writes may, for a second at most, so that a
     * frame is never cut by a short write. */
    struct timeval send_timeout = { .tv_sec = 1 };
    int on = 1;
    if (fd < 0 || !rx || inet_pton(AF_INET, bind_ip, &a.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        connect(fd, (const struct sockaddr *)&c->remote, sizeof c->remote) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout) < 0) {
        if (fd >= 0)
            close(fd);
        free(rx);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    close(c->fd);
    c->fd = fd;
    c->local = a;
    c->tcp = true;
    c->tcp_rx = rx;
    return 0;
}

void pc_start(load_run *run, pc *c)
{
    media_worker *w = &run->workers[c->p->index % run->n_workers];
    pthread_mutex_lock(&w->lock);
    c->next_in_worker = w->incoming;
    w->incoming = c;
    pthread_mutex_unlock(&w->lock);
    uint64_t one = 1;
    (void)!write(w->evfd, &one, sizeof one);
}

static void pc_fail(pc *c, const char *why);

void pc_send_packets(pc *c, const struct iovec *pkts, size_t n)
{
    if (!c->tcp) {
        for (size_t i = 0; i < n; i++)
            (void)sendto(c->fd, pkts[i].iov_base, pkts[i].iov_len, 0, (const struct sockaddr *)&c->remote,
                         sizeof c->remote);
        return;
    }
    enum { MAX_FRAMES = 64 };
    uint8_t heads[MAX_FRAMES][2];
    struct iovec iov[2 * MAX_FRAMES];
    size_t frames = 0, total = 0;
    for (size_t i = 0; i < n && frames < MAX_FRAMES; i++) {
        size_t len = pkts[i].iov_len;
        if (len > TCP_FRAME_MAX)
            continue;
        heads[frames][0] = (uint8_t)(len >> 8);
        heads[frames][1] = (uint8_t)len;
        iov[2 * frames] = (struct iovec){ heads[frames], 2 };
        iov[2 * frames + 1] = pkts[i];
        total += 2 + len;
        frames++;
    }
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 * frames };
    if (frames && sendmsg(c->fd, &m, MSG_NOSIGNAL) != (ssize_t)total)
        pc_fail(c, "ICE-TCP write failed or cut short");
}

void pc_send_packet(pc *c, const void *data, size_t len)
{
    struct iovec one = { (void *)data, len };
    pc_send_packets(c, &one, 1);
}

static void dtls_send(void *user, const uint8_t *data, size_t len)
{
    pc_send_packet(user, data, len);
}

static void pc_fail(pc *c, const char *why)
{
    if (c->failed)
        return;
    c->failed = true;
    if (g_run->cfg.verbose)
        fprintf(stderr, "stoa-load: %s: transport failed: %s\n", c->p->name, why);
}

static void send_check(pc *c, bool nominate)
{
    uint8_t buf[512], txid[STUN_TXID_SIZE];
    char username[600];
    snprintf(username, sizeof username, "%s:%s", c->remote_ufrag, c->local_ufrag);
    random_bytes(txid, sizeof txid);
    size_t n = stun_build_binding_request(buf, sizeof buf, txid, username, 0x6E7FFFFF, c->controlling,
                                          c->tiebreaker, nominate && c->controlling, c->remote_pwd,
                                          strlen(c->remote_pwd));
    if (n)
        pc_send_packet(c, buf, n);
}

static void start_dtls(pc *c)
{
    if (c->dtls)
        return;
    c->dtls = dtls_conn_new(g_run->dtls, c->dtls_server, dtls_send, c);
    if (!c->dtls) {
        pc_fail(c, "dtls_conn_new");
        return;
    }
    if (!c->dtls_server && dtls_conn_start(c->dtls) < 0)
        pc_fail(c, "dtls start");
}

static void handle_stun(pc *c, uint8_t *buf, size_t len, const struct sockaddr_in *from)
{
    stun_msg m;
    if (stun_parse(buf, len, &m) < 0)
        return;
    if (m.type == STUN_BINDING_REQUEST) {
        /* The peer's own check (full ICE agents, Janus): answer with our password. */
        if (!stun_check_integrity(buf, len, &m, c->local_pwd, strlen(c->local_pwd)))
            return;
        uint8_t out[512];
        size_t n = stun_build_binding_success(out, sizeof out, m.txid, (const struct sockaddr *)from,
                                              c->local_pwd, strlen(c->local_pwd));
        if (n && c->tcp)
            pc_send_packet(c, out, n);
        else if (n)
            (void)sendto(c->fd, out, n, 0, (const struct sockaddr *)from, sizeof *from);
        if (!c->have_remote || !c->ice_ok) {
            c->remote = *from;
            c->have_remote = true;
        }
        if (!c->controlling && !c->ice_ok) {
            /* Controlled: the peer's check (nominating or not) proves the path;
             * our own checks to it go on until one succeeds too. */
            send_check(c, false);
        }
        return;
    }
    if (m.type == STUN_BINDING_SUCCESS) {
        if (!stun_check_integrity(buf, len, &m, c->remote_pwd, strlen(c->remote_pwd)))
            return;
        if (!c->ice_ok) {
            c->ice_ok = true;
            c->remote = *from;
            start_dtls(c);
        }
    }
}

static void handle_dtls(pc *c, const uint8_t *buf, size_t len)
{
    if (!c->dtls) {
        if (!c->dtls_server)
            return;
        c->ice_ok = true;                /* the peer found us; its checks proved the path */
        start_dtls(c);
        if (!c->dtls)
            return;
    }
    enum dtls_state st = dtls_conn_input(c->dtls, buf, len);
    if (st == DTLS_FAILED || st == DTLS_CLOSED) {
        pc_fail(c, st == DTLS_FAILED ? "dtls failed" : "dtls closed by peer");
        return;
    }
    if (st == DTLS_CONNECTED && !c->srtp_ready) {
        uint8_t fp[32];
        stoa_srtp_keys keys;
        if (dtls_conn_peer_fingerprint(c->dtls, fp) < 0 || memcmp(fp, c->remote_fp, 32) != 0) {
            pc_fail(c, "the peer's certificate does not match the fingerprint in its SDP");
            return;
        }
        if (dtls_conn_srtp_keys(c->dtls, &keys) < 0 || stoa_srtp_init(&c->srtp, &keys) < 0) {
            pc_fail(c, "srtp keys");
            return;
        }
        c->srtp_ready = true;
        c->connected = true;
        atomic_fetch_add(&c->p->connected_pcs, 1);
        int64_t now = mono_ns();
        /* Spread the senders over the packet interval. */
        c->next_audio_ns = now + (int64_t)(random_u32() % (uint32_t)(g_run->cfg.audio_ptime_ms * 1000000));
        c->next_video_ns = now + (int64_t)(random_u32() % 33000000u);
    }
}

/* PLI and FIR naming our SSRCs are counted (how often the bridge asks is
 * part of what tests check); a PLI for one of our layers makes its next
 * frame a key frame (the bridge switches a receiver to a layer only at one). */
static void note_keyframe_requests(pc *c, const uint8_t *buf, size_t len)
{
    participant *p = c->p;
    rtcp_iter it;
    rtcp_packet pk;
    rtcp_iter_init(&it, buf, len);
    while (rtcp_next(&it, &pk) == 1) {
        if (pk.type != RTCP_PSFB || (pk.count != RTCP_FMT_PLI && pk.count != RTCP_FMT_FIR))
            continue;
        uint32_t media_ssrc;
        if (pk.count == RTCP_FMT_PLI) {
            rtcp_fb fb;
            if (rtcp_parse_fb(&pk, &fb) < 0)
                continue;
            media_ssrc = fb.media_ssrc;
        } else {
            rtcp_fir_entry e;
            size_t n;
            if (rtcp_parse_fir(&pk, &e, 1, &n) < 0 || n == 0)
                continue;
            media_ssrc = e.ssrc;
        }
        bool ours = media_ssrc == p->audio_ssrc || media_ssrc == p->video_ssrc;
        for (int k = 0; k < 3; k++) {
            if (media_ssrc != p->layer_ssrc[k])
                continue;
            ours = true;
            if (pk.count == RTCP_FMT_PLI)
                c->key_due[k] = true;
        }
        if (ours)
            atomic_fetch_add_explicit(&p->keyframe_requests, 1, memory_order_relaxed);
    }
}

static void handle_srtp(media_worker *w, pc *c, uint8_t *buf, size_t len, int64_t now)
{
    participant *p = c->p;
    if (rtp_is_rtcp(buf, len)) {
        if (stoa_srtp_unprotect_rtcp(&c->srtp, buf, &len) == 0) {
            p->rtcp_packets++;
            note_keyframe_requests(c, buf, len);
        } else {
            p->undecryptable++;
        }
        return;
    }
    if (stoa_srtp_unprotect_rtp(&c->srtp, buf, &len) < 0) {
        p->undecryptable++;
        if (g_run->hooks && g_run->hooks->on_rtp)
            g_run->hooks->on_rtp(c, buf, len, NULL, now);
        return;
    }
    rtp_header h;
    load_stamp s;
    if (rtp_parse(buf, len, &h) < 0) {
        p->rx_foreign++;
        return;
    }
    if (g_run->hooks && g_run->hooks->on_rtp)
        g_run->hooks->on_rtp(c, buf, len, &h, now);
    if (h.payload_len == 0 || h.payload_type == SDP_PT_VP8_RTX) {
        /* The bridge's padding probes (and retransmissions, which stoa-load
         * never asks for): no stamp, nothing to count but their arrival. */
        uint16_t tw;
        if (c->simulcast && twcc_ext_read(buf, &h, SDP_EXT_TRANSPORT_CC, &tw) == 0 && c->twcc)
            twcc_recorder_on_packet(c->twcc, tw, now / 1000);
        return;
    }
    if (stamp_find(buf + h.header_len, h.payload_len, h.payload_type == c->remote_video_pt, &s) < 0 ||
        s.publisher >= (uint32_t)g_run->n_total || s.stream >= STAMP_STREAMS) {
        p->rx_foreign++;
        return;
    }
    p->rx_packets++;
    atomic_fetch_add_explicit(&w->rx_rtp, 1, memory_order_relaxed);
    if (atomic_load_explicit(&p->first_media_ns, memory_order_relaxed) == 0)
        atomic_store(&p->first_media_ns, now);
    uint16_t tw_seq;
    if (c->simulcast && twcc_ext_read(buf, &h, SDP_EXT_TRANSPORT_CC, &tw_seq) == 0 &&
        (c->twcc || (c->twcc = calloc(1, sizeof *c->twcc)) != NULL))
        twcc_recorder_on_packet(c->twcc, tw_seq, now / 1000);
    enum seq_result r;
    if (c->simulcast && s.stream >= STAMP_VIDEO) {
        /* One layer at a time, switched at key frames: the bridge numbers
         * what it sends as one stream, so loss is a gap in its RTP sequence
         * numbers (extended to 32 bits here), whichever layer it came from. */
        seq_tracker *t = &p->rx[s.publisher * STAMP_STREAMS + STAMP_VIDEO];
        int64_t ext = h.seq;
        if (t->started) {
            ext = (t->highest & ~(int64_t)0xFFFF) | h.seq;
            if (ext < t->highest - 0x8000)
                ext += 0x10000;
            else if (ext > t->highest + 0x8000)
                ext -= 0x10000;
        }
        r = seq_tracker_add(t, (uint32_t)ext);
    } else {
        r = seq_tracker_add(&p->rx[s.publisher * STAMP_STREAMS + s.stream], s.seq);
    }
    if (r != SEQ_DUPLICATE) {
        int64_t d = now - (int64_t)s.send_ns;
        lat_hist_add(&w->lat, d > 0 ? (uint64_t)d / 1000 : 0);
    }
}

/* One datagram or ICE-TCP frame, demultiplexed as in RFC 7983. */
static void pc_dispatch(media_worker *w, pc *c, uint8_t *b, size_t len, const struct sockaddr_in *from, int64_t now)
{
    if (len < 1 || c->failed)
        return;
    if (b[0] < 4)
        handle_stun(c, b, len, from);
    else if (b[0] >= 20 && b[0] < 64)
        handle_dtls(c, b, len);
    else if (b[0] >= 128 && b[0] < 192 && c->srtp_ready)
        handle_srtp(w, c, b, len, now);
}

/* Reads what the ICE-TCP connection holds and hands out whole frames. */
static void pc_receive_tcp(media_worker *w, pc *c)
{
    for (int round = 0; round < 64 && !c->failed; round++) {
        ssize_t n = recv(c->fd, c->tcp_rx + c->tcp_rx_len, 2 + TCP_FRAME_MAX - c->tcp_rx_len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n <= 0) {
            pc_fail(c, "the server closed the ICE-TCP connection");
            return;
        }
        c->tcp_rx_len += (size_t)n;
        int64_t now = mono_ns();
        size_t off = 0;
        while (c->tcp_rx_len - off >= 2) {
            size_t frame = (size_t)c->tcp_rx[off] << 8 | c->tcp_rx[off + 1];
            if (c->tcp_rx_len - off < 2 + frame)
                break;
            pc_dispatch(w, c, c->tcp_rx + off + 2, frame, &c->remote, now);
            off += 2 + frame;
        }
        memmove(c->tcp_rx, c->tcp_rx + off, c->tcp_rx_len - off);
        c->tcp_rx_len -= off;
    }
}

static void pc_receive(media_worker *w, pc *c)
{
    static __thread uint8_t bufs[RX_BATCH][PKT_MAX];
    struct mmsghdr msgs[RX_BATCH];
    struct iovec iov[RX_BATCH];
    struct sockaddr_in from[RX_BATCH];
    if (c->tcp) {
        pc_receive_tcp(w, c);
        return;
    }
    for (int round = 0; round < 64; round++) {
        for (int i = 0; i < RX_BATCH; i++) {
            iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = PKT_MAX };
            msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i],
                                               .msg_iov = &iov[i], .msg_iovlen = 1 };
        }
        int n = recvmmsg(c->fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        int64_t now = mono_ns();
        for (int i = 0; i < n; i++)
            pc_dispatch(w, c, bufs[i], msgs[i].msg_len, &from[i], now);
        if (n < RX_BATCH)
            return;
    }
}

/* Writes an RTP packet with our stamp, protects and sends it. With
 * simulcast, video stream STAMP_VIDEO + k is layer k (its own SSRC, named
 * by rid). key_height: the first packet of a key frame of that height. */
static void send_rtp(media_worker *w, pc *c, int stream, bool marker, bool first_of_frame, unsigned key_height,
                     size_t payload_len, int64_t now)
{
    participant *p = c->p;
    uint8_t buf[PKT_MAX];
    size_t off = 12;
    buf[0] = 0x80;
    buf[1] = (uint8_t)((marker ? 0x80 : 0) | (stream == STAMP_AUDIO ? c->audio_pt : c->video_pt));
    be16_write(buf + 2, c->rtp_seq[stream]++);
    be32_write(buf + 4, c->rtp_ts[stream]);
    bool layer = c->simulcast && stream >= STAMP_VIDEO;
    be32_write(buf + 8, stream == STAMP_AUDIO ? p->audio_ssrc
                        : layer ? p->layer_ssrc[stream - STAMP_VIDEO] : p->video_ssrc);
    if (c->mid_ext) {
        /* One-byte header extensions (RFC 8285): sdes:mid = "0" or "1", and
         * (as browsers send on every packet) the transport-wide sequence
         * number, which the bridge renumbers for each receiver. */
        buf[0] |= 0x10;
        be16_write(buf + 12, RTP_EXT_PROFILE_ONE_BYTE);
        be16_write(buf + 14, c->twcc_ext ? 2 : 1);
        /* (room for the rid element too: 2 + 3 + 2 bytes fit two words) */
        buf[16] = (uint8_t)(SDP_EXT_MID << 4 | 0);
        buf[17] = stream == STAMP_AUDIO ? '0' : '1';
        buf[18] = buf[19] = 0;
        off = 20;
        if (c->twcc_ext) {
            buf[18] = (uint8_t)(SDP_EXT_TRANSPORT_CC << 4 | 1);
            be16_write(buf + 19, c->tw_seq++);
            buf[21] = buf[22] = buf[23] = 0;
            off = 24;
            if (layer) {
                static const char rids[3] = { 'l', 'm', 'h' };   /* the rids Stoa offers, lowest first */
                buf[21] = (uint8_t)(SDP_EXT_RID << 4 | 0);
                buf[22] = (uint8_t)rids[stream - STAMP_VIDEO];
            }
        }
    }
    load_stamp s = { .publisher = (uint32_t)p->index, .stream = (uint8_t)stream,
                     .seq = p->sent_seq[stream], .send_ns = (uint64_t)now };
    size_t cap = sizeof buf - off - STOA_SRTP_MAX_TRAILER;
    if ((key_height ? stamp_payload_key(buf + off, cap, &s, key_height, payload_len)
                    : stamp_payload(buf + off, cap, &s, first_of_frame, payload_len)) == 0)
        return;
    size_t len = off + payload_len;
    if (stoa_srtp_protect_rtp(&c->srtp, buf, &len, sizeof buf) < 0)
        return;
    p->sent_seq[stream]++;
    p->sent_packets++;
    atomic_fetch_add_explicit(&w->tx_rtp, 1, memory_order_relaxed);
    pc_send_packet(c, buf, len);
}

static void publish(media_worker *w, pc *c, int64_t now)
{
    const load_config *cfg = &g_run->cfg;
    if (!c->send || !c->p->publishes || !atomic_load_explicit(&g_run->publishing, memory_order_relaxed))
        return;
    if (now - c->next_audio_ns > MAX_CATCH_UP_NS)
        c->next_audio_ns = now;
    while (now >= c->next_audio_ns) {
        send_rtp(w, c, STAMP_AUDIO, false, false, 0, AUDIO_PAYLOAD, now);
        c->rtp_ts[STAMP_AUDIO] += (uint32_t)(48 * cfg->audio_ptime_ms);
        c->next_audio_ns += (int64_t)cfg->audio_ptime_ms * 1000000;
    }
    if (cfg->audio_only || cfg->video_kbps <= 0)
        return;
    int64_t frame_ns = 1000000000LL / cfg->fps;
    if (now - c->next_video_ns > MAX_CATCH_UP_NS)
        c->next_video_ns = now;
    while (now >= c->next_video_ns) {
        if (c->simulcast && now >= c->next_key_ns) {
            for (int k = 0; k < 3; k++)
                c->key_due[k] = true;
            c->next_key_ns = now + KEYFRAME_INTERVAL_NS;
        }
        for (int k = 0; k < (c->simulcast ? 3 : 1); k++) {
            /* Layers: 1/8, 1/4 and 5/8 of the bitrate, 180, 360 and 720 lines. */
            static const unsigned share8[3] = { 1, 2, 5 }, height[3] = { 180, 360, 720 };
            int stream = STAMP_VIDEO + k;
            size_t frame = (size_t)cfg->video_kbps * 1000 / 8 / (size_t)cfg->fps;
            if (c->simulcast)
                frame = frame * share8[k] / 8;
            size_t n = (frame + MEDIA_MTU_PAYLOAD - 1) / MEDIA_MTU_PAYLOAD;
            if (n == 0)
                n = 1;
            size_t each = frame / n;
            if (each < STAMP_SIZE + 1 + STAMP_VP8_KEY_HEADER)
                each = STAMP_SIZE + 1 + STAMP_VP8_KEY_HEADER;
            unsigned key = c->simulcast && c->key_due[k] ? height[k] : 0;
            c->key_due[k] = false;
            for (size_t i = 0; i < n; i++)
                send_rtp(w, c, stream, i + 1 == n, i == 0, i == 0 ? key : 0, each, now);
            c->rtp_ts[stream] += 90000 / (uint32_t)cfg->fps;
        }
        c->next_video_ns += frame_ns;
    }
}

static void pc_timers(media_worker *w, pc *c, int64_t now)
{
    if (c->failed || !c->have_remote)
        return;
    if (now >= c->next_check_ns) {
        if (!c->ice_ok) {
            send_check(c, true);
            c->next_check_ns = now + CHECK_INTERVAL_NS;
        } else {
            send_check(c, false);        /* consent freshness (RFC 7675) */
            c->next_check_ns = now + CONSENT_INTERVAL_NS;
        }
    }
    if (c->dtls && !c->srtp_ready) {
        int t = dtls_conn_timeout_ms(c->dtls);
        if (t == 0) {
            enum dtls_state st = dtls_conn_handle_timeout(c->dtls);
            if (st == DTLS_FAILED)
                pc_fail(c, "dtls timeout");
        }
    }
    if (c->srtp_ready && c->twcc && now >= c->next_twcc_ns) {
        /* Transport-wide feedback, as a browser gives it: the bridge's
         * estimate of our downlink (and so the layers we get) rests on it. */
        c->next_twcc_ns = now + TWCC_INTERVAL_NS;
        uint8_t fb[1200];
        for (int i = 0; i < 4 && twcc_recorder_pending(c->twcc); i++) {
            size_t n = twcc_recorder_build(c->twcc, c->p->audio_ssrc, 0, fb, sizeof fb - STOA_SRTP_MAX_TRAILER);
            if (n == 0 || stoa_srtp_protect_rtcp(&c->srtp, fb, &n, sizeof fb) < 0)
                break;
            pc_send_packet(c, fb, n);
        }
    }
    if (c->srtp_ready)
        publish(w, c, now);
    if (c->srtp_ready && g_run->hooks && g_run->hooks->on_media_tick)
        g_run->hooks->on_media_tick(w, c, now);
}

static void take_incoming(media_worker *w)
{
    uint64_t v;
    (void)!read(w->evfd, &v, sizeof v);
    pthread_mutex_lock(&w->lock);
    pc *list = w->incoming;
    w->incoming = NULL;
    pthread_mutex_unlock(&w->lock);
    while (list) {
        pc *c = list;
        list = c->next_in_worker;
        c->next_in_worker = w->pcs;
        w->pcs = c;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
            pc_fail(c, "epoll_ctl");
        c->next_check_ns = 0;            /* check now */
    }
}

static void *media_main(void *arg)
{
    media_worker *w = arg;
    struct epoll_event evs[64];
    int64_t next_tick = 0;
    while (!atomic_load(&w->quit)) {
        int n = epoll_wait(w->epfd, evs, 64, 1);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL)
                take_incoming(w);
            else
                pc_receive(w, evs[i].data.ptr);
        }
        int64_t now = mono_ns();
        if (now >= next_tick) {
            for (pc *c = w->pcs; c; c = c->next_in_worker)
                pc_timers(w, c, now);
            next_tick = now + 1000000;
        }
    }
    return NULL;
}

int media_start(load_run *run)
{
    run->workers = calloc((size_t)run->n_workers, sizeof *run->workers);
    if (!run->workers)
        return -1;
    for (int i = 0; i < run->n_workers; i++) {
        media_worker *w = &run->workers[i];
        lat_hist_init(&w->lat);
        pthread_mutex_init(&w->lock, NULL);
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
        if (w->epfd < 0 || w->evfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) < 0)
            return -1;
        if (pthread_create(&w->thread, NULL, media_main, w) != 0)
            return -1;
    }
    return 0;
}

void media_stop(load_run *run)
{
    for (int i = 0; i < run->n_workers; i++)
        atomic_store(&run->workers[i].quit, true);
    for (int i = 0; i < run->n_workers; i++) {
        media_worker *w = &run->workers[i];
        pthread_join(w->thread, NULL);
        /* Transports handed over too late stay in incoming: take them so they are freed. */
        pc *list = w->incoming;
        w->incoming = NULL;
        while (list) {
            pc *c = list;
            list = c->next_in_worker;
            c->next_in_worker = w->pcs;
            w->pcs = c;
        }
        close(w->epfd);
        close(w->evfd);
    }
}
