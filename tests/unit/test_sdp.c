/* SDP offers written and browser answers parsed (src/webrtc/sdp.c).
 *
 * The answers under tests/fixtures/sdp/ were produced by a real Chromium
 * from the offers beside them (tools/capture-sdp-answer/). The offers are
 * this writer's output; run `test_sdp --write-offers tests/fixtures/sdp`
 * from the repository root to write them again after changing the writer,
 * then capture new answers. */
#include "webrtc/sdp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define FIXTURES "tests/fixtures/sdp/"

static const char fp_bridge[] =
    "sha-256 3A:91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:"
    "C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6:2A";

/* ------------------------------------------------------------------ */
/* Offer descriptions                                                  */
/* ------------------------------------------------------------------ */

static void set_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

static void base_offer(sdp_offer *o, uint32_t version)
{
    memset(o, 0, sizeof *o);
    o->session_id = 4962303333179871722ull;
    o->session_version = version;
    set_str(o->ice_ufrag, sizeof o->ice_ufrag, "Xy3k9QbT");
    set_str(o->ice_pwd, sizeof o->ice_pwd, "h5Jp0wq7Zc2Lr8Vt4Nm6Bd1K");
    set_str(o->fingerprint, sizeof o->fingerprint, fp_bridge);
    o->n_candidates = 2;
    set_str(o->candidates[0].foundation, sizeof o->candidates[0].foundation, "1");
    set_str(o->candidates[0].ip, sizeof o->candidates[0].ip, "127.0.0.1");
    o->candidates[0].port = 10000;
    o->candidates[0].priority = 2130706431u;
    set_str(o->candidates[1].foundation, sizeof o->candidates[1].foundation, "2");
    set_str(o->candidates[1].ip, sizeof o->candidates[1].ip, "127.0.0.1");
    o->candidates[1].port = 10000;
    o->candidates[1].priority = 1518280447u;
    o->candidates[1].tcp = true;
}

static sdp_offer_media *add_media(sdp_offer *o, const char *mid, sdp_kind kind, sdp_dir dir)
{
    sdp_offer_media *m = &o->media[o->n_media++];
    memset(m, 0, sizeof *m);
    set_str(m->mid, sizeof m->mid, mid);
    m->kind = kind;
    m->dir = dir;
    return m;
}

static void add_source(sdp_offer *o, const char *mid, sdp_kind kind, uint32_t ssrc,
                       const char *cname, const char *participant, const char *track)
{
    sdp_offer_media *m = add_media(o, mid, kind, SDP_SENDONLY);
    m->ssrc = ssrc;
    set_str(m->cname, sizeof m->cname, cname);
    set_str(m->stream_id, sizeof m->stream_id, participant);
    set_str(m->track_id, sizeof m->track_id, track);
}

/* The offers the fixtures were captured with, as a participant sees them:
 * 1: just joined, its own two sections;
 * 2: two others present (b7c2e91d, c3d4e5f6), two sources each;
 * 3: b7c2e91d left, its sections disabled;
 * 4: as 1, asking for three simulcast layers on the camera (rids l, m, h). */
static void fixture_offer(sdp_offer *o, int n)
{
    base_offer(o, n == 4 ? 1u : (uint32_t)n);
    add_media(o, "0", SDP_AUDIO, SDP_RECVONLY);
    sdp_offer_media *camera = add_media(o, "1", SDP_VIDEO, SDP_RECVONLY);
    if (n == 4) {
        const char *rids[] = { "l", "m", "h" };
        for (size_t i = 0; i < 3; i++)
            set_str(camera->rids[i], sizeof camera->rids[i], rids[i]);
        camera->n_rids = 3;
        return;
    }
    if (n < 2)
        return;
    add_source(o, "2", SDP_AUDIO, 1398425011u, "T0qBa3p+Zr2v/xkW", "b7c2e91d",
               "5f0e6c1a-audio");
    add_source(o, "3", SDP_VIDEO, 2761503387u, "T0qBa3p+Zr2v/xkW", "b7c2e91d",
               "5f0e6c1a-video");
    add_source(o, "4", SDP_AUDIO, 93218476u, "Lm8dQ2wYx4Ee7rUs", "c3d4e5f6",
               "9a7b3c2d-audio");
    add_source(o, "5", SDP_VIDEO, 4023317259u, "Lm8dQ2wYx4Ee7rUs", "c3d4e5f6",
               "9a7b3c2d-video");
    if (n < 3)
        return;
    o->media[2].disabled = true;
    o->media[3].disabled = true;
}

static int write_offers(const char *dir)
{
    static char buf[65536];
    for (int n = 1; n <= 4; n++) {
        sdp_offer *o = malloc(sizeof *o);
        if (!o)
            return 1;
        fixture_offer(o, n);
        int len = sdp_write_offer(o, buf, sizeof buf);
        free(o);
        if (len < 0) {
            fprintf(stderr, "offer %d: sdp_write_offer failed\n", n);
            return 1;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/offer-%d.sdp", dir, n);
        FILE *f = fopen(path, "wb");
        if (!f) {
            perror(path);
            return 1;
        }
        fprintf(f, "# Written by sdp_write_offer: test_sdp --write-offers tests/fixtures/sdp\n"
                   "# (description in fixture_offer() of tests/unit/test_sdp.c).\n");
        fwrite(buf, 1, (size_t)len, f);
        fclose(f);
        printf("wrote %s\n", path);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

/* Reads a fixture and drops the '#' comment lines at its top. The text is
 * copied into an exact-size buffer (no NUL after it) so that ASan catches
 * any read past len. */
static char *load_fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, FIXTURES "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    static char raw[1 << 17];
    size_t n = fread(raw, 1, sizeof raw, f);
    fclose(f);
    size_t pos = 0;
    while (pos < n && raw[pos] == '#') {
        const char *nl = memchr(raw + pos, '\n', n - pos);
        pos = nl ? (size_t)(nl - raw) + 1 : n;
    }
    *len = n - pos;
    char *text = malloc(*len ? *len : 1);
    if (text)
        memcpy(text, raw + pos, *len);
    return text;
}

static bool contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

/* A small description with one of everything, and its text checked by eye
 * against RFC 8866/8829/8843/8839/8842/8830. */
static const char golden[] =
    "v=0\r\n"
    "o=- 42 7 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE a v\r\n"
    "a=ice-lite\r\n"
    "a=msid-semantic: WMS *\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:a\r\n"
    "a=ice-ufrag:uf/+\r\n"
    "a=ice-pwd:0123456789abcdefghijKL\r\n"
    "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
    "a=setup:actpass\r\n"
    "a=candidate:1 1 udp 2130706431 192.0.2.1 3478 typ host\r\n"
    "a=candidate:2 1 tcp 1518280447 2001:db8::1 443 typ host tcptype passive\r\n"
    "a=end-of-candidates\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "m=video 0 UDP/TLS/RTP/SAVPF 96 97 102 103\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:gone\r\n"
    "a=inactive\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:v\r\n"
    "a=ice-ufrag:uf/+\r\n"
    "a=ice-pwd:0123456789abcdefghijKL\r\n"
    "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
    "a=setup:actpass\r\n"
    "a=candidate:1 1 udp 2130706431 192.0.2.1 3478 typ host\r\n"
    "a=candidate:2 1 tcp 1518280447 2001:db8::1 443 typ host tcptype passive\r\n"
    "a=end-of-candidates\r\n"
    "a=sendonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=rtcp-fb:102 nack\r\n"
    "a=rtcp-fb:102 nack pli\r\n"
    "a=rtcp-fb:102 ccm fir\r\n"
    "a=rtcp-fb:102 goog-remb\r\n"
    "a=rtcp-fb:102 transport-cc\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:103 rtx/90000\r\n"
    "a=fmtp:103 apt=102\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=msid:p1 p1-video\r\n"
    "a=ssrc:4294967295 cname:c+/x\r\n"
    "a=ssrc:4294967295 msid:p1 p1-video\r\n";

static void small_offer(sdp_offer *o)
{
    memset(o, 0, sizeof *o);
    o->session_id = 42;
    o->session_version = 7;
    set_str(o->ice_ufrag, sizeof o->ice_ufrag, "uf/+");
    set_str(o->ice_pwd, sizeof o->ice_pwd, "0123456789abcdefghijKL");
    set_str(o->fingerprint, sizeof o->fingerprint,
            "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
            "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
    o->n_candidates = 2;
    set_str(o->candidates[0].foundation, sizeof o->candidates[0].foundation, "1");
    set_str(o->candidates[0].ip, sizeof o->candidates[0].ip, "192.0.2.1");
    o->candidates[0].port = 3478;
    o->candidates[0].priority = 2130706431u;
    set_str(o->candidates[1].foundation, sizeof o->candidates[1].foundation, "2");
    set_str(o->candidates[1].ip, sizeof o->candidates[1].ip, "2001:db8::1");
    o->candidates[1].port = 443;
    o->candidates[1].priority = 1518280447u;
    o->candidates[1].tcp = true;
    add_media(o, "a", SDP_AUDIO, SDP_RECVONLY);
    sdp_offer_media *gone = add_media(o, "gone", SDP_VIDEO, SDP_SENDONLY);
    gone->disabled = true;          /* its source fields are left empty: not needed */
    sdp_offer_media *v = add_media(o, "v", SDP_VIDEO, SDP_SENDONLY);
    v->ssrc = 4294967295u;
    set_str(v->cname, sizeof v->cname, "c+/x");
    set_str(v->stream_id, sizeof v->stream_id, "p1");
    set_str(v->track_id, sizeof v->track_id, "p1-video");
}

static char out[65536];

static void test_write_golden(void)
{
    static sdp_offer o;
    small_offer(&o);
    int n = sdp_write_offer(&o, out, sizeof out);
    CHECK_EQ_INT(n, (int)strlen(golden));
    CHECK_EQ_STR(out, golden);
    CHECK_EQ_INT(strlen(out), n);

    /* Exactly the space needed (text + NUL) works; one byte less does not. */
    static char exact[sizeof golden];
    CHECK_EQ_INT(sdp_write_offer(&o, exact, sizeof golden), (int)strlen(golden));
    CHECK_EQ_STR(exact, golden);
    memset(exact, 'x', sizeof exact);
    CHECK_EQ_INT(sdp_write_offer(&o, exact, sizeof golden - 1), -1);
    CHECK_EQ_INT(exact[0], '\0');
    CHECK_EQ_INT(sdp_write_offer(&o, exact, 1), -1);
    CHECK_EQ_INT(sdp_write_offer(&o, exact, 0), -1);
    CHECK_EQ_INT(sdp_write_offer(&o, NULL, 100), -1);
    CHECK_EQ_INT(sdp_write_offer(NULL, exact, sizeof exact), -1);
    CHECK_EQ_INT(exact[0], '\0');

    /* Every cap below the full length fails cleanly. */
    static char small[sizeof golden];
    int fails = 0;
    for (size_t cap = 1; cap < sizeof golden; cap++)
        fails += sdp_write_offer(&o, small, cap) == -1 && small[0] == '\0';
    CHECK_EQ_INT(fails, (int)sizeof golden - 1);
}

static void test_write_fixture_offers(void)
{
    /* The committed offers are what the writer produces now (else the
     * answers were captured against an older writer: capture again). */
    static sdp_offer o;
    const char *names[] = { "offer-1.sdp", "offer-2.sdp", "offer-3.sdp", "offer-4.sdp" };
    for (int n = 1; n <= 4; n++) {
        fixture_offer(&o, n);
        int len = sdp_write_offer(&o, out, sizeof out);
        CHECK(len > 0);
        size_t flen = 0;
        char *text = load_fixture(names[n - 1], &flen);
        CHECK(text != NULL);
        if (text && len > 0) {
            CHECK_EQ_INT(flen, len);
            CHECK(flen == (size_t)len && memcmp(text, out, flen) == 0);
        }
        free(text);
    }

    /* Offer 2: the BUNDLE group names all six, sources carry msid/ssrc. */
    fixture_offer(&o, 2);
    CHECK(sdp_write_offer(&o, out, sizeof out) > 0);
    CHECK(contains(out, "\r\na=group:BUNDLE 0 1 2 3 4 5\r\n"));
    CHECK(contains(out, "\r\na=msid:b7c2e91d 5f0e6c1a-video\r\n"));
    CHECK(contains(out, "\r\na=ssrc:2761503387 cname:T0qBa3p+Zr2v/xkW\r\n"));
    CHECK(contains(out, "\r\na=ssrc:93218476 cname:Lm8dQ2wYx4Ee7rUs\r\n"));

    /* Offer 3: sections 2 and 3 disabled, out of the group, no transport. */
    fixture_offer(&o, 3);
    CHECK(sdp_write_offer(&o, out, sizeof out) > 0);
    CHECK(contains(out, "\r\na=group:BUNDLE 0 1 4 5\r\n"));
    CHECK(contains(out, "\r\nm=audio 0 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
                        "a=mid:2\r\na=inactive\r\nm=video 0 UDP/TLS/RTP/SAVPF 96 97 102 103\r\n"
                        "c=IN IP4 0.0.0.0\r\na=mid:3\r\na=inactive\r\nm=audio 9 "));
    CHECK(!contains(out, "5f0e6c1a"));
    CHECK(contains(out, "o=- 4962303333179871722 3 IN IP4 0.0.0.0\r\n"));
}

static void test_write_all_disabled(void)
{
    static sdp_offer o;
    base_offer(&o, 9);
    add_media(&o, "0", SDP_AUDIO, SDP_RECVONLY)->disabled = true;
    int n = sdp_write_offer(&o, out, sizeof out);
    CHECK(n > 0);
    CHECK(!contains(out, "a=group:BUNDLE"));
    CHECK(!contains(out, "a=candidate"));
    CHECK(contains(out, "\r\na=ice-lite\r\n"));
    CHECK(contains(out, "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=inactive\r\n"));

    /* No section at all: a session part only, still well-formed. */
    base_offer(&o, 1);
    CHECK(sdp_write_offer(&o, out, sizeof out) > 0);
    CHECK(!contains(out, "m="));
    CHECK(!contains(out, "BUNDLE"));
}

/* Each change makes the small offer invalid; the writer must refuse it. */
typedef void (*mutator)(sdp_offer *);

static void m_empty_ufrag(sdp_offer *o) { o->ice_ufrag[0] = '\0'; }
static void m_short_ufrag(sdp_offer *o) { set_str(o->ice_ufrag, sizeof o->ice_ufrag, "abc"); }
static void m_space_ufrag(sdp_offer *o) { set_str(o->ice_ufrag, sizeof o->ice_ufrag, "ab cd"); }
static void m_crlf_ufrag(sdp_offer *o) { set_str(o->ice_ufrag, sizeof o->ice_ufrag, "abcd\r\na=x"); }
static void m_unterminated_ufrag(sdp_offer *o) { memset(o->ice_ufrag, 'a', sizeof o->ice_ufrag); }
static void m_short_pwd(sdp_offer *o) { set_str(o->ice_pwd, sizeof o->ice_pwd, "0123456789abcdefghijK"); }
static void m_colon_pwd(sdp_offer *o) { o->ice_pwd[5] = ':'; }
static void m_empty_fp(sdp_offer *o) { o->fingerprint[0] = '\0'; }
static void m_fp_no_hex(sdp_offer *o) { set_str(o->fingerprint, sizeof o->fingerprint, "sha-256 "); }
static void m_fp_bad_hex(sdp_offer *o) { o->fingerprint[10] = 'G'; }
static void m_fp_newline(sdp_offer *o) { set_str(o->fingerprint, sizeof o->fingerprint, "sha-256 00\nA"); }
static void m_fp_trailing_colon(sdp_offer *o) { set_str(o->fingerprint, sizeof o->fingerprint, "sha-256 00:11:"); }
static void m_fp_leading_space(sdp_offer *o) { memmove(o->fingerprint + 1, o->fingerprint, 120); o->fingerprint[0] = ' '; }
static void m_fp_two_spaces(sdp_offer *o) { set_str(o->fingerprint, sizeof o->fingerprint, "sha-256  00:11"); }
static void m_fp_no_alg(sdp_offer *o) { set_str(o->fingerprint, sizeof o->fingerprint, "00:11:22"); }
static void m_empty_mid(sdp_offer *o) { o->media[0].mid[0] = '\0'; }
static void m_space_mid(sdp_offer *o) { set_str(o->media[0].mid, SDP_MID_MAX, "a b"); }
static void m_crlf_mid(sdp_offer *o) { set_str(o->media[0].mid, SDP_MID_MAX, "a\r\nb"); }
static void m_slash_mid(sdp_offer *o) { set_str(o->media[0].mid, SDP_MID_MAX, "a/b"); }
static void m_unterminated_mid(sdp_offer *o) { memset(o->media[0].mid, 'm', SDP_MID_MAX); }
static void m_dup_mid(sdp_offer *o) { set_str(o->media[2].mid, SDP_MID_MAX, "a"); }
static void m_dup_disabled_mid(sdp_offer *o) { set_str(o->media[1].mid, SDP_MID_MAX, "v"); }
static void m_bad_mid_disabled(sdp_offer *o) { set_str(o->media[1].mid, SDP_MID_MAX, "g one"); }
static void m_bad_kind(sdp_offer *o) { o->media[0].kind = (sdp_kind)7; }
static void m_bad_dir(sdp_offer *o) { o->media[0].dir = (sdp_dir)9; }
static void m_no_cname(sdp_offer *o) { o->media[2].cname[0] = '\0'; }
static void m_cname_space(sdp_offer *o) { set_str(o->media[2].cname, SDP_ID_MAX, "c x"); }
static void m_cname_newline(sdp_offer *o) { set_str(o->media[2].cname, SDP_ID_MAX, "c\na=x"); }
static void m_no_stream(sdp_offer *o) { o->media[2].stream_id[0] = '\0'; }
static void m_stream_space(sdp_offer *o) { set_str(o->media[2].stream_id, SDP_ID_MAX, "p 1"); }
static void m_track_colon(sdp_offer *o) { set_str(o->media[2].track_id, SDP_ID_MAX, "t:1"); }
static void m_track_unterminated(sdp_offer *o) { memset(o->media[2].track_id, 't', SDP_ID_MAX); }
static void m_sendrecv_no_ids(sdp_offer *o) { o->media[0].dir = SDP_SENDRECV; }
static void m_too_many_media(sdp_offer *o) { o->n_media = SDP_MAX_MEDIA + 1; }
static void m_too_many_cands(sdp_offer *o) { o->n_candidates = SDP_MAX_CANDIDATES + 1; }
static void m_cand_bad_ip(sdp_offer *o) { set_str(o->candidates[0].ip, 64, "192.0.2.1 typ"); }
static void m_cand_host_name(sdp_offer *o) { set_str(o->candidates[0].ip, 64, "bridge.local"); }
static void m_cand_empty_ip(sdp_offer *o) { o->candidates[1].ip[0] = '\0'; }
static void m_cand_port0(sdp_offer *o) { o->candidates[0].port = 0; }
static void m_cand_empty_foundation(sdp_offer *o) { o->candidates[0].foundation[0] = '\0'; }
static void m_cand_foundation_space(sdp_offer *o) { set_str(o->candidates[0].foundation, 33, "1 2"); }
static void m_session_id_high(sdp_offer *o) { o->session_id = 1ull << 63; }

static void test_write_invalid(void)
{
    static const struct { const char *name; mutator fn; } cases[] = {
        { "empty ufrag", m_empty_ufrag }, { "short ufrag", m_short_ufrag },
        { "space ufrag", m_space_ufrag }, { "CRLF ufrag", m_crlf_ufrag },
        { "unterminated ufrag", m_unterminated_ufrag }, { "short pwd", m_short_pwd },
        { "colon pwd", m_colon_pwd }, { "empty fingerprint", m_empty_fp },
        { "fingerprint without hex", m_fp_no_hex }, { "fingerprint bad hex", m_fp_bad_hex },
        { "fingerprint newline", m_fp_newline }, { "fingerprint trailing colon", m_fp_trailing_colon },
        { "fingerprint leading space", m_fp_leading_space },
        { "fingerprint two spaces", m_fp_two_spaces }, { "fingerprint without algorithm", m_fp_no_alg },
        { "empty mid", m_empty_mid }, { "space mid", m_space_mid }, { "CRLF mid", m_crlf_mid },
        { "slash mid", m_slash_mid }, { "unterminated mid", m_unterminated_mid },
        { "duplicate mid", m_dup_mid }, { "duplicate mid of disabled", m_dup_disabled_mid },
        { "bad mid on disabled", m_bad_mid_disabled }, { "bad kind", m_bad_kind },
        { "bad dir", m_bad_dir }, { "no cname", m_no_cname }, { "cname space", m_cname_space },
        { "cname newline", m_cname_newline }, { "no stream id", m_no_stream },
        { "stream id space", m_stream_space }, { "track id colon", m_track_colon },
        { "track id unterminated", m_track_unterminated },
        { "sendrecv without source", m_sendrecv_no_ids },
        { "too many media", m_too_many_media }, { "too many candidates", m_too_many_cands },
        { "candidate ip with text", m_cand_bad_ip }, { "candidate host name", m_cand_host_name },
        { "candidate empty ip", m_cand_empty_ip }, { "candidate port 0", m_cand_port0 },
        { "candidate empty foundation", m_cand_empty_foundation },
        { "candidate foundation space", m_cand_foundation_space },
        { "session id >= 2^63", m_session_id_high },
    };
    static sdp_offer o;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        small_offer(&o);
        cases[i].fn(&o);
        memset(out, 'x', 16);
        int n = sdp_write_offer(&o, out, sizeof out);
        if (n != -1)
            fprintf(stderr, "accepted an invalid offer: %s\n", cases[i].name);
        CHECK_EQ_INT(n, -1);
        CHECK_EQ_INT(out[0], '\0');
    }
    /* And the untouched description is fine (the cases test one thing each). */
    small_offer(&o);
    CHECK(sdp_write_offer(&o, out, sizeof out) > 0);
    /* Limits that are still valid. */
    o.session_id = (1ull << 63) - 1;
    memset(o.ice_ufrag, 'u', 256);
    o.ice_ufrag[256] = '\0';
    memset(o.media[2].track_id, 't', SDP_ID_MAX - 1);
    o.media[2].track_id[SDP_ID_MAX - 1] = '\0';
    set_str(o.media[0].mid, SDP_MID_MAX, "123456789012345");
    int n = sdp_write_offer(&o, out, sizeof out);
    CHECK(n > 0);
    CHECK(contains(out, "o=- 9223372036854775807 7 "));
    CHECK(contains(out, "\r\na=mid:123456789012345\r\n"));
}

/* ------------------------------------------------------------------ */
/* Parser: Chromium's answers                                          */
/* ------------------------------------------------------------------ */

typedef struct exp_media {
    const char *mid;
    sdp_kind kind;
    sdp_dir dir;
    bool rejected;
    size_t n_ssrcs;
    uint32_t ssrc;          /* the first one, when n_ssrcs > 0 */
    const char *cname;
    size_t n_pts;
    uint8_t pts[2];
} exp_media;

static sdp_answer ans;
static char err[256];

static int parse(const char *text, size_t len)
{
    /* An exact-size copy with no NUL after it: ASan sees any over-read. */
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return -2;
    memcpy(copy, text, len);
    memset(err, 'x', sizeof err);
    int r = sdp_parse_answer(copy, len, &ans, err, sizeof err);
    free(copy);
    CHECK(memchr(err, '\0', sizeof err) != NULL);
    return r;
}

static int parse_str(const char *text)
{
    return parse(text, strlen(text));
}

static void check_media(const exp_media *e, size_t n)
{
    CHECK_EQ_INT(ans.n_media, n);
    for (size_t i = 0; i < n && i < ans.n_media; i++) {
        const sdp_answer_media *m = &ans.media[i];
        CHECK_EQ_STR(m->mid, e[i].mid);
        CHECK_EQ_INT(m->kind, e[i].kind);
        CHECK_EQ_INT(m->dir, e[i].dir);
        CHECK_EQ_INT(m->rejected, e[i].rejected);
        CHECK_EQ_INT(m->n_ssrcs, e[i].n_ssrcs);
        if (e[i].n_ssrcs > 0)
            CHECK_EQ_INT(m->ssrcs[0], e[i].ssrc);
        CHECK_EQ_STR(m->cname, e[i].cname);
        CHECK_EQ_INT(m->n_pts, e[i].n_pts);
        for (size_t k = 0; k < e[i].n_pts && k < m->n_pts; k++)
            CHECK_EQ_INT(m->pts[k], e[i].pts[k]);
    }
}

/* Parses a fixture as captured, then with LF line ends, then without the
 * final line end: the same result each time. */
static void check_fixture(const char *name, const char *ufrag, const char *pwd, const char *fp,
                          const exp_media *e, size_t n)
{
    size_t len = 0;
    char *text = load_fixture(name, &len);
    CHECK(text != NULL);
    if (!text)
        return;
    CHECK(len > 2 && text[len - 2] == '\r' && text[len - 1] == '\n');
    char *lf = malloc(len);
    size_t lf_len = 0;
    for (size_t i = 0; lf && i < len; i++)
        if (text[i] != '\r')
            lf[lf_len++] = text[i];
    const struct { const char *what; const char *p; size_t n; } forms[] = {
        { "CRLF", text, len },
        { "LF", lf, lf_len },
        { "no final line end", text, len - 2 },
    };
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        int r = parse(forms[f].p, forms[f].n);
        if (r != 0)
            fprintf(stderr, "%s (%s): %s\n", name, forms[f].what, err);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_STR(err, "");
        CHECK_EQ_STR(ans.ice_ufrag, ufrag);
        CHECK_EQ_STR(ans.ice_pwd, pwd);
        CHECK_EQ_STR(ans.fingerprint, fp);
        CHECK_EQ_STR(ans.setup, "active");
        check_media(e, n);
        uint8_t bytes[32];
        CHECK_EQ_INT(sdp_fingerprint_decode(ans.fingerprint, bytes), 0);
    }
    free(lf);
    free(text);
}

#define OPUS 1, { SDP_PT_OPUS }
#define VIDEO_PTS 2, { SDP_PT_VP8, SDP_PT_H264 }

static void test_parse_chromium(void)
{
    /* (a) The first offer: mic and camera on mids 0 and 1. */
    static const exp_media a[] = {
        { "0", SDP_AUDIO, SDP_SENDONLY, false, 1, 3651860751u, "kPUvkvxF7y2W9wYh", OPUS },
        { "1", SDP_VIDEO, SDP_SENDONLY, false, 1, 2265754789u, "kPUvkvxF7y2W9wYh", VIDEO_PTS },
    };
    static const char fp_a[] =
        "sha-256 E9:E0:1A:00:13:33:7B:B3:BA:F2:BA:85:74:17:9B:A2:"
        "F3:1E:F6:59:12:D7:1F:86:2D:18:AF:C8:37:4D:C2:93";
    check_fixture("chromium-answer-1-own.sdp", "xI+u", "ldPFZliMfTVf3KSXA95V/7UR", fp_a, a, 2);
    uint8_t bytes[32];
    CHECK_EQ_INT(sdp_fingerprint_decode(fp_a, bytes), 0);
    CHECK_EQ_INT(bytes[0], 0xE9);
    CHECK_EQ_INT(bytes[31], 0x93);

    /* (b) Renegotiated with two others' sources: received, so recvonly, and
     * the same transport and SSRCs as before. */
    static const exp_media b[] = {
        { "0", SDP_AUDIO, SDP_SENDONLY, false, 1, 3651860751u, "kPUvkvxF7y2W9wYh", OPUS },
        { "1", SDP_VIDEO, SDP_SENDONLY, false, 1, 2265754789u, "kPUvkvxF7y2W9wYh", VIDEO_PTS },
        { "2", SDP_AUDIO, SDP_RECVONLY, false, 0, 0, "", OPUS },
        { "3", SDP_VIDEO, SDP_RECVONLY, false, 0, 0, "", VIDEO_PTS },
        { "4", SDP_AUDIO, SDP_RECVONLY, false, 0, 0, "", OPUS },
        { "5", SDP_VIDEO, SDP_RECVONLY, false, 0, 0, "", VIDEO_PTS },
    };
    check_fixture("chromium-answer-2-others.sdp", "xI+u", "ldPFZliMfTVf3KSXA95V/7UR", fp_a, b, 6);

    /* (c) Mids 2 and 3 disabled: Chromium rejects them with port 0 and
     * payload type 0 on the m= line. */
    static const exp_media c[] = {
        { "0", SDP_AUDIO, SDP_SENDONLY, false, 1, 3651860751u, "kPUvkvxF7y2W9wYh", OPUS },
        { "1", SDP_VIDEO, SDP_SENDONLY, false, 1, 2265754789u, "kPUvkvxF7y2W9wYh", VIDEO_PTS },
        { "2", SDP_AUDIO, SDP_INACTIVE, true, 0, 0, "", 1, { 0 } },
        { "3", SDP_VIDEO, SDP_INACTIVE, true, 0, 0, "", 1, { 0 } },
        { "4", SDP_AUDIO, SDP_RECVONLY, false, 0, 0, "", OPUS },
        { "5", SDP_VIDEO, SDP_RECVONLY, false, 0, 0, "", VIDEO_PTS },
    };
    check_fixture("chromium-answer-3-disabled.sdp", "xI+u", "ldPFZliMfTVf3KSXA95V/7UR", fp_a, c, 6);

    /* (d) No camera: video inactive, no SSRC in it. */
    static const exp_media d[] = {
        { "0", SDP_AUDIO, SDP_SENDONLY, false, 1, 2494571587u, "1J9IFSPu2fYHcfqa", OPUS },
        { "1", SDP_VIDEO, SDP_INACTIVE, false, 0, 0, "", VIDEO_PTS },
    };
    check_fixture("chromium-answer-4-audio-only.sdp", "+QmS", "aD7487WaF9AE8q9uBTTbXnIB",
                  "sha-256 E7:D0:F9:C3:1F:7B:B3:F6:0B:60:9F:9A:51:80:37:50:"
                  "D5:FA:C0:54:59:4F:51:F2:3E:AC:AE:02:E5:AC:50:81", d, 2);

    /* (e) Sent after gathering: candidates, a real port and c= address. */
    static const exp_media e[] = {
        { "0", SDP_AUDIO, SDP_SENDONLY, false, 1, 545401018u, "u9l1EWgBgzSP3Oj8", OPUS },
        { "1", SDP_VIDEO, SDP_SENDONLY, false, 1, 3830342079u, "u9l1EWgBgzSP3Oj8", VIDEO_PTS },
    };
    check_fixture("chromium-answer-5-gathered.sdp", "t9By", "cCh+Me14OPIJzDwkSGO+rJFy",
                  "sha-256 85:B3:55:59:A9:20:6A:47:1F:F9:28:8B:C2:44:DB:4B:"
                  "62:85:CF:61:D1:86:CF:A2:92:3C:7E:56:D3:94:12:D0", e, 2);
}

/* Firefox's answers to the same offers (tools/capture-sdp-answer
 * --firefox): every one parses, and its simulcast camera lists each
 * layer's SSRC and RTX SSRC in three FID groups. */
static void test_parse_firefox(void)
{
    static const struct { const char *name; size_t n_media; } files[] = {
        { "firefox-answer-1-own.sdp", 2 },      { "firefox-answer-2-others.sdp", 6 },
        { "firefox-answer-3-disabled.sdp", 6 }, { "firefox-answer-4-audio-only.sdp", 2 },
        { "firefox-answer-5-gathered.sdp", 2 }, { "firefox-answer-6-simulcast.sdp", 2 },
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len = 0;
        char *text = load_fixture(files[i].name, &len);
        CHECK(text != NULL);
        if (!text)
            continue;
        int r = parse(text, len);
        if (r != 0)
            fprintf(stderr, "%s: %s\n", files[i].name, err);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_STR(ans.setup, "active");
        CHECK_EQ_INT(ans.n_media, files[i].n_media);
        CHECK(ans.ice_ufrag[0] != '\0' && ans.ice_pwd[0] != '\0');
        CHECK(strncmp(ans.fingerprint, "sha-256 ", 8) == 0);
        free(text);
    }
    size_t len = 0;
    char *text = load_fixture("firefox-answer-6-simulcast.sdp", &len);
    if (text && parse(text, len) == 0) {
        const sdp_answer_media *cam = &ans.media[1];
        CHECK_EQ_STR(cam->mid, "1");
        CHECK_EQ_INT(cam->dir, SDP_SENDONLY);
        CHECK_EQ_INT(cam->n_rids, 3);
        CHECK_EQ_STR(cam->rids[0], "l");
        CHECK_EQ_STR(cam->rids[2], "h");
        CHECK_EQ_INT(cam->n_ssrcs, 6);
        CHECK_EQ_INT(cam->n_fids, 3);
        static const uint32_t pairs[3][2] = {
            { 2602916835u, 1462815868u }, { 608653199u, 8630355u }, { 903163733u, 2866248676u } };
        for (size_t k = 0; k < 3 && cam->n_fids == 3; k++) {
            CHECK_EQ_INT(cam->fids[k].primary, pairs[k][0]);
            CHECK_EQ_INT(cam->fids[k].repair, pairs[k][1]);
        }
        CHECK_EQ_INT(ans.media[0].n_ssrcs, 1);
        CHECK_EQ_INT(ans.media[0].ssrcs[0], 3636817240u);
    } else {
        CHECK(false);
    }
    free(text);
}

/* ------------------------------------------------------------------ */
/* Parser: edited and hand-written answers                             */
/* ------------------------------------------------------------------ */

/* The text with every line that starts with prefix replaced by repl (a
 * whole line without its end; NULL drops the line). */
static char *edit_lines(const char *t, size_t n, const char *prefix, const char *repl, size_t *out_n)
{
    size_t cap = n * 2 + (repl ? strlen(repl) * 64 : 0) + 16;
    char *o = malloc(cap);
    size_t on = 0, pos = 0, plen = strlen(prefix);
    while (o && pos < n) {
        const char *nl = memchr(t + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - t) + 1 : n;
        size_t body = end - pos;
        while (body > 0 && (t[pos + body - 1] == '\n' || t[pos + body - 1] == '\r'))
            body--;
        if (body >= plen && memcmp(t + pos, prefix, plen) == 0) {
            if (repl) {
                memcpy(o + on, repl, strlen(repl));
                on += strlen(repl);
                memcpy(o + on, t + pos + body, end - pos - body);
                on += end - pos - body;
            }
        } else {
            memcpy(o + on, t + pos, end - pos);
            on += end - pos;
        }
        pos = end;
    }
    *out_n = on;
    return o;
}

/* Parses fixture (a) with one kind of line replaced; returns the result. */
static int parse_edited(const char *prefix, const char *repl)
{
    size_t len = 0, elen = 0;
    char *text = load_fixture("chromium-answer-1-own.sdp", &len);
    if (!text)
        return -2;
    char *edited = edit_lines(text, len, prefix, repl, &elen);
    int r = edited ? parse(edited, elen) : -2;
    free(edited);
    free(text);
    return r;
}

static void expect_fail(int r, const char *reason_part, const char *what)
{
    if (r != -1 || !strstr(err, reason_part))
        fprintf(stderr, "%s: r=%d err=\"%s\" (wanted \"%s\")\n", what, r, err, reason_part);
    CHECK_EQ_INT(r, -1);
    CHECK(strstr(err, reason_part) != NULL);
}

static void test_parse_edited(void)
{
    expect_fail(parse_edited("a=ice-ufrag:", NULL), "no a=ice-ufrag", "no ufrag");
    expect_fail(parse_edited("a=ice-pwd:", NULL), "no a=ice-pwd", "no pwd");
    expect_fail(parse_edited("a=fingerprint:", NULL), "no a=fingerprint", "no fingerprint");
    expect_fail(parse_edited("a=setup:", NULL), "no a=setup", "no setup");
    expect_fail(parse_edited("a=mid:", NULL), "no a=mid", "no mid");
    expect_fail(parse_edited("a=fingerprint:", "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:00:11:22:33:44:55:66:77:88:99"),
                "no sha-256 a=fingerprint", "sha-1 only");
    expect_fail(parse_edited("a=fingerprint:", "a=fingerprint:sha-256 00:11"),
                "malformed sha-256 fingerprint", "short fingerprint");
    expect_fail(parse_edited("a=fingerprint:",
                             "a=fingerprint:sha-256 0G:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                             "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"),
                "malformed sha-256 fingerprint", "fingerprint bad hex");
    expect_fail(parse_edited("a=fingerprint:", "a=fingerprint:sha-256"), "malformed a=fingerprint",
                "fingerprint without value");
    expect_fail(parse_edited("a=setup:", "a=setup:sideways"), "bad a=setup", "bad setup");
    expect_fail(parse_edited("a=ice-ufrag:", "a=ice-ufrag:ab"), "bad a=ice-ufrag", "short ufrag");
    expect_fail(parse_edited("a=ice-ufrag:", "a=ice-ufrag:ab\"cd"), "bad a=ice-ufrag", "quote in ufrag");
    expect_fail(parse_edited("a=ice-pwd:", "a=ice-pwd:tooshort"), "bad a=ice-pwd", "short pwd");
    expect_fail(parse_edited("a=mid:1", "a=mid:0"), "duplicate a=mid", "duplicate mid");
    expect_fail(parse_edited("a=mid:1", "a=mid:0123456789abcdef"), "bad a=mid", "long mid");
    expect_fail(parse_edited("a=mid:1", "a=mid:a b"), "bad a=mid", "mid with space");
    expect_fail(parse_edited("a=mid:1", "a=mid:"), "bad a=mid", "empty mid");
    expect_fail(parse_edited("a=rtcp-mux", "a=mid:9"), "second a=mid", "two mids");
    expect_fail(parse_edited("m=video", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel"),
                "unsupported media kind", "data channel section");
    expect_fail(parse_edited("m=video", "m=video 70000 UDP/TLS/RTP/SAVPF 96"), "port", "port > 65535");
    expect_fail(parse_edited("m=video", "m=video -9 UDP/TLS/RTP/SAVPF 96"), "port", "negative port");
    expect_fail(parse_edited("m=video", "m=video 9 RTP/AVP 96"), "unsupported m= protocol", "plain RTP");
    expect_fail(parse_edited("m=video", "m=video 9"), "without a protocol", "no protocol");
    expect_fail(parse_edited("m=video", "m=video 9 UDP/TLS/RTP/SAVPF"), "without payload types", "no pts");
    expect_fail(parse_edited("m=video", "m=video 9 UDP/TLS/RTP/SAVPF 96 128"), "bad payload type", "pt 128");
    expect_fail(parse_edited("m=video", "m=video 9 UDP/TLS/RTP/SAVPF 96 x"), "bad payload type", "pt x");
    expect_fail(parse_edited("m=video", "m=video 9 UDP/TLS/RTP/SAVPF 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16"),
                "more than 16 payload types", "17 pts");
    expect_fail(parse_edited("a=ssrc:", "a=ssrc:4294967296 cname:x"), "malformed a=ssrc", "ssrc > 32 bits");
    expect_fail(parse_edited("a=ssrc:", "a=ssrc:12"), "malformed a=ssrc", "ssrc without attribute");
    expect_fail(parse_edited("a=ssrc:", "a=ssrc:12 cname:"), "bad cname", "empty cname");
    expect_fail(parse_edited("a=ssrc:", "a=ssrc:12 cname:a b"), "bad cname", "cname with space");
    expect_fail(parse_edited("a=ssrc:", "a=ssrc:12 cname:0123456789012345678901234567890123456789012345678901234567890123"),
                "bad cname", "64-byte cname");
    expect_fail(parse_edited("a=rtcp-mux", "a=ssrc-group:FID 1"), "malformed a=ssrc-group", "FID of one");
    expect_fail(parse_edited("a=rtcp-mux", "a=ssrc-group:FID 1 x"), "malformed a=ssrc-group", "FID not a number");
    expect_fail(parse_edited("v=0", "v=1"), "v=0", "version 1");
    expect_fail(parse_edited("v=0", NULL), "v=0", "no v= line");
    expect_fail(parse_edited("s=", "v=0"), "repeated v=", "two v= lines");
    expect_fail(parse_edited("m=", NULL), "no m= section", "no m= lines");
    expect_fail(parse_edited("a=rtcp-rsize", "hello world"), "not a <type>=<value> line", "garbage line");
    expect_fail(parse_edited("a=rtcp-rsize", "A=b"), "not a <type>=<value> line", "upper-case type");
    expect_fail(parse_edited("a=rtcp-rsize", "="), "not a <type>=<value> line", "lone =");
    expect_fail(parse_edited("a=rtcp-rsize", "a"), "not a <type>=<value> line", "lone letter");
    expect_fail(parse_edited("a=rtcp-rsize", "a=\x01\x02"), "control character", "control bytes");
    expect_fail(parse_edited("a=rtcp-rsize", "a=x\ry"), "control character", "lone CR");
    expect_fail(parse_edited("a=rtcp-rsize", "a=:x"), "empty attribute name", "empty attribute name");
    expect_fail(parse_edited("a=rtcp-rsize", "a=\tsendonly"), "control character", "tab");
    /* The line number is in the reason. */
    expect_fail(parse_edited("s=", "s"), "line 3:", "line number");

    /* Still fine: unknown line types and attributes, extra spaces around
     * the fingerprint hex, upper-case algorithm name, setup actpass (the
     * caller, not the parser, insists on active). */
    CHECK_EQ_INT(parse_edited("s=", "z=whatever : at all"), 0);
    CHECK_EQ_INT(parse_edited("a=rtcp-rsize", "a=x-unknown:\xc3\xa9t\xc3\xa9"), 0);
    CHECK_EQ_INT(parse_edited("a=fingerprint:", "a=fingerprint:SHA-256   E9:E0:1A:00:13:33:7B:B3:BA:F2:"
                              "BA:85:74:17:9B:A2:F3:1E:F6:59:12:D7:1F:86:2D:18:AF:C8:37:4D:C2:93  "), 0);
    CHECK_EQ_STR(ans.fingerprint, "sha-256 E9:E0:1A:00:13:33:7B:B3:BA:F2:BA:85:74:17:9B:A2:"
                                  "F3:1E:F6:59:12:D7:1F:86:2D:18:AF:C8:37:4D:C2:93");
    CHECK_EQ_INT(parse_edited("a=setup:", "a=setup:actpass"), 0);
    CHECK_EQ_STR(ans.setup, "actpass");
    /* No direction attribute: sendrecv (RFC 8866 6.7). */
    CHECK_EQ_INT(parse_edited("a=sendonly", NULL), 0);
    CHECK_EQ_INT(ans.media[0].dir, SDP_SENDRECV);
    CHECK_EQ_INT(ans.media[1].dir, SDP_SENDRECV);
}

/* A Firefox-like answer: transport attributes at session level only. */
static const char session_level[] =
    "v=0\r\n"
    "o=mozilla...THIS_IS_SDPARTA-99.0 1 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=ice-options:trickle\r\n"
    "a=ice-ufrag:3a4b5c6d\r\n"
    "a=ice-pwd:0123456789abcdef0123456789abcdef\r\n"
    "a=setup:active\r\n"
    "a=msid-semantic:WMS *\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=sendonly\r\n"
    "a=mid:0\r\n"
    "a=ssrc:1000 cname:{c0ffee}\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=sendonly\r\n"
    "a=mid:1\r\n"
    "a=ssrc:2001 cname:{c0ffee}\r\n"
    "a=ssrc:2000 cname:{c0ffee}\r\n"
    "a=ssrc-group:FID 2000 2001\r\n";

static void test_parse_synthetic(void)
{
    CHECK_EQ_INT(parse_str(session_level), 0);
    CHECK_EQ_STR(ans.ice_ufrag, "3a4b5c6d");
    CHECK_EQ_STR(ans.ice_pwd, "0123456789abcdef0123456789abcdef");
    CHECK_EQ_STR(ans.fingerprint, "sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
                                  "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99");
    CHECK_EQ_STR(ans.setup, "active");
    CHECK_EQ_INT(ans.n_media, 2);
    CHECK_EQ_INT(ans.media[0].n_ssrcs, 1);
    CHECK_EQ_INT(ans.media[0].ssrcs[0], 1000);
    CHECK_EQ_STR(ans.media[0].cname, "{c0ffee}");
    /* RTX listed first: the FID group's first SSRC still comes first. */
    CHECK_EQ_INT(ans.media[1].n_ssrcs, 2);
    CHECK_EQ_INT(ans.media[1].ssrcs[0], 2000);
    CHECK_EQ_INT(ans.media[1].ssrcs[1], 2001);
    CHECK_EQ_INT(ans.media[1].n_pts, 1);
    CHECK_EQ_INT(ans.media[1].pts[0], 96);

    /* Chromium's order with RTX: the group, then the primary's lines. */
    static const char rtx[] =
        "v=0\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\na=mid:v\n"
        "a=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuv\na=setup:active\n"
        "a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
        "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\n"
        "a=ssrc-group:FID 3000 3001\na=ssrc:3000 cname:x\na=ssrc:3000 msid:- t\n"
        "a=ssrc:3001 cname:x\na=ssrc:3001 msid:- t\n";
    CHECK_EQ_INT(parse_str(rtx), 0);
    CHECK_EQ_INT(ans.media[0].n_ssrcs, 2);
    CHECK_EQ_INT(ans.media[0].ssrcs[0], 3000);
    CHECK_EQ_INT(ans.media[0].ssrcs[1], 3001);
    CHECK_EQ_INT(ans.media[0].dir, SDP_SENDRECV);
    CHECK_EQ_STR(ans.media[0].mid, "v");

    /* Media level overrides session level; the first section in use gives
     * the transport (the first here is rejected, so the second). Other
     * hash functions are skipped in favour of sha-256. */
    static const char override[] =
        "v=0\n"
        "a=ice-ufrag:sess\na=ice-pwd:sessionpasswordsession\na=setup:passive\n"
        "a=fingerprint:sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
        "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00\n"
        "m=audio 0 UDP/TLS/RTP/SAVPF 0\na=mid:0\na=ice-ufrag:rejd\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:1\na=ice-ufrag:med1\na=setup:active\n"
        "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:00:11:22:33:44:55:66:77:88:99\n"
        "a=fingerprint:sha-256 11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:"
        "11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:2\na=ice-ufrag:med2\n";
    CHECK_EQ_INT(parse_str(override), 0);
    CHECK_EQ_STR(ans.ice_ufrag, "med1");
    CHECK_EQ_STR(ans.ice_pwd, "sessionpasswordsession");
    CHECK_EQ_STR(ans.setup, "active");
    CHECK_EQ_STR(ans.fingerprint, "sha-256 11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:"
                                  "11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11");
    CHECK_EQ_INT(ans.n_media, 3);
    CHECK(ans.media[0].rejected);
    CHECK(!ans.media[1].rejected);

    /* A media-level fingerprint of another hash hides the session's
     * sha-256 one: that section has no sha-256 fingerprint. */
    static const char fp_override[] =
        "v=0\n"
        "a=ice-ufrag:sess\na=ice-pwd:sessionpasswordsession\na=setup:active\n"
        "a=fingerprint:sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
        "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:1\n"
        "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:00:11:22:33:44:55:66:77:88:99\n";
    expect_fail(parse_str(fp_override), "no sha-256 a=fingerprint", "media sha-1 over session sha-256");

    /* Session-level direction is the default for sections without one. */
    static const char sess_dir[] =
        "v=0\na=inactive\n"
        "a=ice-ufrag:sess\na=ice-pwd:sessionpasswordsession\na=setup:active\n"
        "a=fingerprint:sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
        "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:a\n"
        "m=video 9/2 UDP/TLS/RTP/SAVPF 96\na=mid:b\na=recvonly\n\n";
    CHECK_EQ_INT(parse_str(sess_dir), 0);
    CHECK_EQ_INT(ans.media[0].dir, SDP_INACTIVE);
    CHECK_EQ_INT(ans.media[1].dir, SDP_RECVONLY);
    CHECK_EQ_INT(ans.media[1].kind, SDP_VIDEO);

    /* Eight distinct SSRCs in a section (three simulcast layers and their
     * RTX, as Firefox lists them, and two to spare) are kept; a ninth is
     * more than Stoa keeps. Four FID groups are kept, a fifth refused. */
    char many[2048];
    snprintf(many, sizeof many, "%s", sess_dir);
    for (int i = 1; i <= 8; i++) {
        char line[64];
        snprintf(line, sizeof line, "a=ssrc:%d cname:x\n", i);
        strcat(many, line);
    }
    strcat(many, "a=ssrc:8 msid:- t\n");
    CHECK_EQ_INT(parse_str(many), 0);
    CHECK_EQ_INT(ans.media[1].n_ssrcs, 8);
    char groups[2048];
    snprintf(groups, sizeof groups, "%sa=ssrc-group:FID 1 2\na=ssrc-group:FID 3 4\na=ssrc-group:FID 5 6\n"
             "a=ssrc-group:FID 7 8\n", many);
    CHECK_EQ_INT(parse_str(groups), 0);
    CHECK_EQ_INT(ans.media[1].n_fids, 4);
    CHECK_EQ_INT(ans.media[1].fids[2].primary, 5);
    CHECK_EQ_INT(ans.media[1].fids[2].repair, 6);
    CHECK_EQ_INT(ans.media[1].rtx_ssrc, 2);
    strcat(groups, "a=ssrc-group:FID 1 3\n");
    expect_fail(parse_str(groups), "more than 4 a=ssrc-group:FID", "five FID groups");
    char self_fid[2048];
    snprintf(self_fid, sizeof self_fid, "%sa=ssrc-group:FID 4 4\n", many);
    expect_fail(parse_str(self_fid), "malformed a=ssrc-group", "FID of one SSRC with itself");
    strcat(many, "a=ssrc:9 cname:x\n");
    expect_fail(parse_str(many), "more than 8 SSRCs", "nine SSRCs");
}

static void test_parse_hostile(void)
{
    size_t len = 0;
    char *text = load_fixture("chromium-answer-1-own.sdp", &len);
    CHECK(text != NULL);
    if (!text)
        return;

    /* Embedded NUL anywhere. */
    char *nul = malloc(len);
    memcpy(nul, text, len);
    nul[len / 2] = '\0';
    expect_fail(parse(nul, len), "NUL byte", "embedded NUL");
    /* A trailing NUL counted in len is a NUL too. */
    char *tnul = malloc(len + 1);
    memcpy(tnul, text, len);
    tnul[len] = '\0';
    expect_fail(parse(tnul, len + 1), "NUL byte", "trailing NUL");
    /* Every prefix of the answer (cut anywhere) is handled without reading
     * past the cut: either parsed or refused with a reason. */
    int ok = 0, refused = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        int r = parse(text, cut);
        if (r == 0)
            ok++;
        else if (r == -1 && err[0] != '\0')
            refused++;
    }
    CHECK_EQ_INT(ok + refused, (int)len + 1);
    CHECK(ok > 0);
    CHECK(refused > 0);
    free(nul);
    free(tnul);

    /* A huge line, and huge input of short lines. */
    size_t huge = 200000;
    char *big = malloc(len + huge + 8);
    memcpy(big, "v=0\r\na=x-", 9);
    memset(big + 9, 'A', huge);
    memcpy(big + 9 + huge, "\r\n", 2);
    memcpy(big + 11 + huge, text + 5, len - 5);
    expect_fail(parse(big, len + huge + 6), "line longer than", "huge line");
    size_t pos = 0;
    while (pos + 4 <= huge) {
        memcpy(big + pos, "a=x\n", 4);
        pos += 4;
    }
    memcpy(big, "v=0\n", 4);
    expect_fail(parse(big, pos), "no m= section", "many short lines");
    /* One section more than SDP_MAX_MEDIA. */
    pos = 0;
    pos += (size_t)sprintf(big, "v=0\n");
    for (int i = 0; i < SDP_MAX_MEDIA + 1; i++)
        pos += (size_t)sprintf(big + pos, "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:%d\n", i);
    char reason[64];
    snprintf(reason, sizeof reason, "more than %d m= sections", SDP_MAX_MEDIA);
    expect_fail(parse(big, pos), reason, "too many sections");
    free(big);
    free(text);

    /* Degenerate arguments. */
    expect_fail(parse_str(""), "empty", "empty");
    expect_fail(parse_str("\n\n"), "v=0", "blank lines only");
    expect_fail(parse_str("v=0"), "no m= section", "just v=0");
    CHECK_EQ_INT(sdp_parse_answer(NULL, 10, &ans, err, sizeof err), -1);
    CHECK_EQ_INT(sdp_parse_answer("v=0\n", 4, NULL, err, sizeof err), -1);
    CHECK_EQ_INT(sdp_parse_answer("v=0\n", 4, &ans, NULL, 0), -1);
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    CHECK_EQ_INT(sdp_parse_answer("v=0\nm=x\n", 8, &ans, tiny, sizeof tiny), -1);
    CHECK_EQ_STR(tiny, "line 2:");
    char one[1] = { 'x' };
    CHECK_EQ_INT(sdp_parse_answer("v=1", 3, &ans, one, 1), -1);
    CHECK_EQ_INT(one[0], '\0');
}

/* ------------------------------------------------------------------ */
/* Fingerprint decoding                                                */
/* ------------------------------------------------------------------ */

static void test_fingerprint_decode(void)
{
    uint8_t b[32];
    memset(b, 0xEE, sizeof b);
    CHECK_EQ_INT(sdp_fingerprint_decode(fp_bridge, b), 0);
    static const uint8_t want[32] = {
        0x3A, 0x91, 0x0C, 0x5E, 0x77, 0xB2, 0x48, 0xD6, 0x1F, 0xA0, 0x9C, 0xE3, 0x54, 0x6B, 0x28, 0xF7,
        0xC1, 0x0D, 0x82, 0x4E, 0xB9, 0x65, 0x3F, 0xA7, 0xD0, 0x12, 0x8E, 0x5B, 0xC4, 0x79, 0xE6, 0x2A,
    };
    CHECK_MEM(b, want, 32);
    /* Lower-case hex, upper-case algorithm. */
    CHECK_EQ_INT(sdp_fingerprint_decode("SHA-256 3a:91:0c:5e:77:b2:48:d6:1f:a0:9c:e3:54:6b:28:f7:"
                                        "c1:0d:82:4e:b9:65:3f:a7:d0:12:8e:5b:c4:79:e6:2a", b), 0);
    CHECK_MEM(b, want, 32);

    static const char *const bad[] = {
        "",
        "sha-256",
        "sha-256 ",
        "sha-1 3A:91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E",
        "sha-256  3A:91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6:2A",
        "sha-2563A:91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6:2A",
        "sha-256 3A:91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6",
        "sha-256 3A:91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6:2A:",
        "sha-256 3A:91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6:2A:00",
        "sha-256 3A:91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6:2A ",
        "sha-256 3A910C5E77B248D61FA09CE3546B28F7C10D824EB9653FA7D0128E5BC479E62A",
        "sha-256 3A-91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6:2A",
        "sha-256 3G:91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6:2A",
        "sha-256 3A:91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6:2",
        "sha-256 :3A:91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6",
        "sha-256 3:A91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6:2A",
        "sha-512 3A:91:0C:5E:77:B2:48:D6:1F:A0:9C:E3:54:6B:28:F7:C1:0D:82:4E:B9:65:3F:A7:D0:12:8E:5B:C4:79:E6:2A",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(b, 0x5A, sizeof b);
        int r = sdp_fingerprint_decode(bad[i], b);
        if (r != -1)
            fprintf(stderr, "decoded a bad fingerprint: \"%s\"\n", bad[i]);
        CHECK_EQ_INT(r, -1);
        CHECK_EQ_INT(b[0], 0x5A);      /* out untouched on failure */
    }
    CHECK_EQ_INT(sdp_fingerprint_decode(NULL, b), -1);
    CHECK_EQ_INT(sdp_fingerprint_decode(fp_bridge, NULL), -1);
}

/* Simulcast: the offer's rid lines, Chromium's answer (layers named by rid
 * in a=simulcast:send, no SSRCs), and malformed a=simulcast lines. */
static void test_simulcast(void)
{
    static sdp_offer o;
    fixture_offer(&o, 4);
    CHECK(sdp_write_offer(&o, out, sizeof out) > 0);
    CHECK(contains(out, "\r\na=rid:l recv\r\na=rid:m recv\r\na=rid:h recv\r\na=simulcast:recv l;m;h\r\n"));
    CHECK(contains(out, "\r\na=extmap:5 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"));
    CHECK(contains(out, "\r\na=extmap:6 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"));
    /* Only a recvonly video section may ask for layers; rids must be valid and distinct. */
    o.media[0].n_rids = 1;
    set_str(o.media[0].rids[0], sizeof o.media[0].rids[0], "a");
    CHECK_EQ_INT(sdp_write_offer(&o, out, sizeof out), -1);
    fixture_offer(&o, 4);
    set_str(o.media[1].rids[1], sizeof o.media[1].rids[1], "l");
    CHECK_EQ_INT(sdp_write_offer(&o, out, sizeof out), -1);
    set_str(o.media[1].rids[1], sizeof o.media[1].rids[1], "m;x");
    CHECK_EQ_INT(sdp_write_offer(&o, out, sizeof out), -1);
    CHECK(sdp_rid_ok("q_1-A"));
    CHECK(!sdp_rid_ok(""));
    CHECK(!sdp_rid_ok("~l"));

    size_t len = 0;
    char *text = load_fixture("chromium-answer-6-simulcast.sdp", &len);
    CHECK(text != NULL);
    if (text) {
        CHECK_EQ_INT(parse(text, len), 0);
        CHECK_EQ_INT(ans.n_media, 2);
        const sdp_answer_media *cam = &ans.media[1];
        CHECK_EQ_STR(cam->mid, "1");
        CHECK_EQ_INT(cam->dir, SDP_SENDONLY);
        CHECK_EQ_INT(cam->n_rids, 3);
        CHECK_EQ_STR(cam->rids[0], "l");
        CHECK_EQ_STR(cam->rids[1], "m");
        CHECK_EQ_STR(cam->rids[2], "h");
        CHECK_EQ_INT(cam->n_ssrcs, 0);
        CHECK_EQ_INT(ans.media[0].n_rids, 0);
    }
    free(text);

    struct { const char *line; int rc; size_t n; const char *first; } cases[] = {
        { "a=simulcast:send ~l;m", 0, 2, "l" },        /* paused layer: still named */
        { "a=simulcast:send a,b;c", 0, 2, "a" },       /* alternatives: the first */
        { "a=simulcast:recv x send y", 0, 1, "y" },
        { "a=simulcast:recv x", 0, 0, NULL },          /* nothing sent */
        { "a=simulcast:send", -1, 0, NULL },
        { "a=simulcast:send l;;m", -1, 0, NULL },
        { "a=simulcast:send l;l", -1, 0, NULL },
        { "a=simulcast:send a;b;c;d", -1, 0, NULL },
        { "a=simulcast:send 12345678901234567", -1, 0, NULL },
        { "a=simulcast:send l/m", -1, 0, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int r = parse_edited("a=rtcp-rsize", cases[i].line);
        if (r != cases[i].rc)
            fprintf(stderr, "simulcast case \"%s\": %d (%s)\n", cases[i].line, r, err);
        CHECK_EQ_INT(r, cases[i].rc);
        if (r == 0 && cases[i].rc == 0) {
            CHECK_EQ_INT(ans.media[1].n_rids, cases[i].n);
            if (cases[i].first)
                CHECK_EQ_STR(ans.media[1].rids[0], cases[i].first);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-offers") == 0)
        return write_offers(argv[2]);

    test_write_golden();
    test_write_all_disabled();
    test_write_invalid();
    test_write_fixture_offers();
    test_parse_chromium();
    test_parse_firefox();
    test_simulcast();
    test_parse_edited();
    test_parse_synthetic();
    test_parse_hostile();
    test_fingerprint_decode();
    return check_report("sdp");
}
