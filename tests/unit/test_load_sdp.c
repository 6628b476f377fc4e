/* Unit tests of stoa-load's SDP (tools/load/sdp_load.c): offers as Stoa
 * writes them are parsed, and the answers written for them are accepted by
 * Stoa's own answer parser (src/webrtc/sdp.c). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sdp_load.h"
#include "webrtc/sdp.h"

static const char *const FP =
    "sha-256 22:F6:36:1F:DD:CE:27:CC:FB:A4:1A:1E:59:3C:48:44:F4:27:9C:E7:D3:E8:D2:DA:05:22:19:F4:5E:60:E3:93";

/* An offer shaped like Stoa's: own audio and video, a third own section
 * (screen share), another participant's audio and video, a disabled one. */
static int make_offer(char *out, size_t cap, bool with_application)
{
    const char *mids[] = { "0", "1", "2", "3", "4", "5" };
    const char *kinds[] = { "audio", "video", "video", "audio", "video", "video" };
    int n = snprintf(out, cap, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                               "a=group:BUNDLE 0 1 2 3 4\r\na=ice-lite\r\na=msid-semantic: WMS *\r\n");
    for (int i = 0; i < 6; i++) {
        bool disabled = i == 5;
        bool video = strcmp(kinds[i], "video") == 0;
        n += snprintf(out + n, cap - (size_t)n,
                      "m=%s %d UDP/TLS/RTP/SAVPF %s\r\nc=IN IP4 0.0.0.0\r\na=mid:%s\r\n"
                      "a=ice-ufrag:pXS/wZhY\r\na=ice-pwd:6z3bIp7VDyb4vMH8LMSNBwet/LKhPLt4\r\n"
                      "a=fingerprint:%s\r\na=setup:passive\r\n"
                      "a=candidate:1 1 udp 2130706431 127.0.0.1 19000 typ host\r\na=end-of-candidates\r\n"
                      "a=%s\r\na=rtcp-mux\r\n%s",
                      kinds[i], disabled ? 0 : 9, video ? "96 102" : "111", mids[i], FP,
                      i < 3 ? "recvonly" : "sendonly",
                      video ? "a=rtpmap:96 VP8/90000\r\na=rtpmap:102 H264/90000\r\n" : "a=rtpmap:111 opus/48000/2\r\n");
        if (i >= 3)
            n += snprintf(out + n, cap - (size_t)n, "a=msid:other %s\r\na=ssrc:%d cname:x\r\n",
                          video ? "v" : "a", 1000 + i);
    }
    if (with_application)
        n += snprintf(out + n, cap - (size_t)n,
                      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:6\r\n");
    return n;
}

static void test_parse_offer(void)
{
    static char text[16384];
    static lsdp o;
    char err[128] = "";
    int n = make_offer(text, sizeof text, true);
    CHECK_EQ_INT(lsdp_parse(text, (size_t)n, &o, err, sizeof err), 0);
    CHECK_EQ_STR(o.ice_ufrag, "pXS/wZhY");
    CHECK_EQ_STR(o.ice_pwd, "6z3bIp7VDyb4vMH8LMSNBwet/LKhPLt4");
    CHECK_EQ_STR(o.fingerprint, FP);
    CHECK_EQ_STR(o.setup, "passive");
    CHECK(o.ice_lite);
    CHECK_EQ_INT(o.n_media, 7);
    CHECK(o.n_candidates >= 1);
    CHECK_EQ_STR(o.candidates[0].ip, "127.0.0.1");
    CHECK_EQ_INT(o.candidates[0].port, 19000);
    CHECK_EQ_STR(o.media[0].kind, "audio");
    CHECK_EQ_INT(o.media[0].pt_opus, 111);
    CHECK_EQ_INT(o.media[1].pt_vp8, 96);
    CHECK_EQ_INT(o.media[0].dir, SDP_RECVONLY);
    CHECK_EQ_INT(o.media[3].dir, SDP_SENDONLY);
    CHECK_EQ_INT(o.media[3].ssrc, 1003);
    CHECK_EQ_STR(o.media[4].msid_stream, "other");
    CHECK_EQ_INT(o.media[5].port, 0);
    CHECK_EQ_STR(o.media[6].kind, "application");
    CHECK_EQ_STR(o.media[6].fmts, "webrtc-datachannel");
    CHECK_EQ_INT(lsdp_find_mid(&o, "4"), 4);
    CHECK_EQ_INT(lsdp_find_mid(&o, "9"), -1);

    /* Missing credentials or fingerprint are refused. */
    CHECK_EQ_INT(lsdp_parse("v=0\r\nm=audio 9 RTP/SAVPF 111\r\n", 29, &o, err, sizeof err), -1);
    CHECK_EQ_INT(lsdp_parse("", 0, &o, err, sizeof err), -1);
}

static void test_answer_accepted_by_stoa(void)
{
    static char text[16384], answer[32768];
    static lsdp o;
    static sdp_answer a;
    char err[128] = "";
    int n = make_offer(text, sizeof text, false);
    CHECK_EQ_INT(lsdp_parse(text, (size_t)n, &o, err, sizeof err), 0);
    enum lsdp_role roles[LSDP_MAX_MEDIA] = { LSDP_SEND_AUDIO, LSDP_SEND_VIDEO, LSDP_INACTIVE,
                                             LSDP_RECVONLY, LSDP_RECVONLY, LSDP_RECVONLY };
    lsdp_local l = { .ufrag = "abcd", .pwd = "0123456789abcdef01234567", .fingerprint = FP,
                     .setup = "active", .audio_ssrc = 0xDEADBEEFu, .video_ssrc = 12345,
                     .cname = "load-1", .stream_id = "load-1", .session_id = 99 };
    int len = lsdp_write_answer(&o, roles, &l, answer, sizeof answer);
    CHECK(len > 0);
    if (len <= 0)
        return;
    CHECK_EQ_INT(sdp_parse_answer(answer, (size_t)len, &a, err, sizeof err), 0);
    if (err[0])
        fprintf(stderr, "stoa refused the answer: %s\n%s", err, answer);
    CHECK_EQ_STR(a.setup, "active");
    CHECK_EQ_STR(a.ice_ufrag, "abcd");
    CHECK_EQ_STR(a.fingerprint, FP);
    CHECK_EQ_INT(a.n_media, 6);
    for (size_t i = 0; i < a.n_media && i < 6; i++)
        CHECK_EQ_STR(a.media[i].mid, o.media[i].mid);
    CHECK_EQ_INT(a.media[0].dir, SDP_SENDONLY);
    CHECK_EQ_INT(a.media[0].n_ssrcs, 1);
    CHECK(a.media[0].ssrcs[0] == 0xDEADBEEFu);
    CHECK_EQ_INT(a.media[0].pts[0], 111);
    CHECK_EQ_INT(a.media[1].dir, SDP_SENDONLY);
    CHECK_EQ_INT(a.media[1].ssrcs[0], 12345);
    CHECK_EQ_INT(a.media[1].pts[0], 96);
    CHECK_EQ_INT(a.media[2].dir, SDP_INACTIVE);
    CHECK_EQ_INT(a.media[2].n_ssrcs, 0);
    CHECK_EQ_INT(a.media[3].dir, SDP_RECVONLY);
    CHECK(a.media[5].rejected);
    CHECK(!a.media[4].rejected);
    CHECK(strstr(answer, "a=group:BUNDLE 0 1 2 3 4\r\n") != NULL);

    /* Audio only: the video role falls back to inactive without an SSRC. */
    l.video_ssrc = 0;
    len = lsdp_write_answer(&o, roles, &l, answer, sizeof answer);
    CHECK(len > 0);
    CHECK_EQ_INT(sdp_parse_answer(answer, (size_t)len, &a, err, sizeof err), 0);
    CHECK_EQ_INT(a.media[1].dir, SDP_INACTIVE);
    /* Too small a buffer fails cleanly. */
    CHECK_EQ_INT(lsdp_write_answer(&o, roles, &l, answer, 100), -1);
}

/* Stoa's own simulcast offer (the fixture test_sdp checks against the
 * writer): the camera section's rids are read, and with simulcast the
 * answer names the layers (a=simulcast:send, no video SSRC) as Chromium's
 * does, which Stoa's parser takes. */
static void test_simulcast_answer(void)
{
    static char text[16384], answer[32768];
    static lsdp o;
    static sdp_answer a;
    char err[128] = "";
    FILE *f = fopen("tests/fixtures/sdp/offer-4.sdp", "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    size_t n = 0;
    char line[1024];
    while (fgets(line, sizeof line, f))
        if (line[0] != '#' && n + strlen(line) < sizeof text)
            n += (size_t)snprintf(text + n, sizeof text - n, "%s", line);
    fclose(f);
    CHECK_EQ_INT(lsdp_parse(text, n, &o, err, sizeof err), 0);
    CHECK_EQ_INT(o.n_media, 2);
    CHECK_EQ_INT(o.media[1].n_rids, 3);
    CHECK_EQ_STR(o.media[1].rids[0], "l");
    CHECK_EQ_STR(o.media[1].rids[2], "h");
    CHECK_EQ_INT(o.media[0].n_rids, 0);
    enum lsdp_role roles[2] = { LSDP_SEND_AUDIO, LSDP_SEND_VIDEO };
    lsdp_local l = { .ufrag = "abcd", .pwd = "0123456789abcdef01234567", .fingerprint = FP,
                     .setup = "active", .audio_ssrc = 7, .video_ssrc = 8, .simulcast = true,
                     .cname = "load-1", .stream_id = "load-1", .session_id = 99 };
    int len = lsdp_write_answer(&o, roles, &l, answer, sizeof answer);
    CHECK(len > 0);
    CHECK_EQ_INT(sdp_parse_answer(answer, (size_t)len, &a, err, sizeof err), 0);
    CHECK_EQ_INT(a.media[1].dir, SDP_SENDONLY);
    CHECK_EQ_INT(a.media[1].n_rids, 3);
    CHECK_EQ_STR(a.media[1].rids[1], "m");
    CHECK_EQ_INT(a.media[1].n_ssrcs, 0);
    CHECK_EQ_INT(a.media[0].n_ssrcs, 1);
    /* Without simulcast the same offer gets one video SSRC. */
    l.simulcast = false;
    len = lsdp_write_answer(&o, roles, &l, answer, sizeof answer);
    CHECK_EQ_INT(sdp_parse_answer(answer, (size_t)len, &a, err, sizeof err), 0);
    CHECK_EQ_INT(a.media[1].n_rids, 0);
    CHECK_EQ_INT(a.media[1].ssrcs[0], 8);
}

static void test_publisher_offer(void)
{
    static char text[8192];
    static lsdp o;
    char err[128] = "";
    lsdp_local l = { .ufrag = "abcd", .pwd = "0123456789abcdef01234567", .fingerprint = FP,
                     .setup = "actpass", .audio_ssrc = 1, .video_ssrc = 2, .cname = "c", .stream_id = "s",
                     .candidate_ip = "127.0.0.2", .candidate_port = 4000, .session_id = 5 };
    int len = lsdp_write_offer(&l, true, text, sizeof text);
    CHECK(len > 0);
    CHECK_EQ_INT(lsdp_parse(text, (size_t)len, &o, err, sizeof err), 0);
    CHECK_EQ_INT(o.n_media, 2);
    CHECK_EQ_INT(o.media[0].dir, SDP_SENDONLY);
    CHECK_EQ_INT(o.media[1].ssrc, 2);
    CHECK_EQ_STR(o.setup, "actpass");
    CHECK_EQ_INT(o.n_candidates, 1);
    CHECK_EQ_STR(o.candidates[0].ip, "127.0.0.2");
    len = lsdp_write_offer(&l, false, text, sizeof text);
    CHECK_EQ_INT(lsdp_parse(text, (size_t)len, &o, err, sizeof err), 0);
    CHECK_EQ_INT(o.n_media, 1);
}

int main(void)
{
    test_parse_offer();
    test_answer_accepted_by_stoa();
    test_simulcast_answer();
    test_publisher_offer();
    return check_report("load_sdp");
}
