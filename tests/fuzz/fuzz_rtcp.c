/* libFuzzer harness for the RTCP walker, every parser, and builder round trips (src/webrtc/rtcp.c). */
#include "webrtc/rtcp.h"

#include <stdlib.h>
#include <string.h>

/* Any broken invariant is a bug; abort so libFuzzer keeps the input. */
static void require(bool ok)
{
    if (!ok)
        abort();
}

static bool same_block(const rtcp_report_block *a, const rtcp_report_block *b)
{
    return a->ssrc == b->ssrc && a->fraction_lost == b->fraction_lost &&
           a->cumulative_lost == b->cumulative_lost && a->highest_seq == b->highest_seq &&
           a->jitter == b->jitter && a->lsr == b->lsr && a->dlsr == b->dlsr;
}

static rtcp_packet only_packet(const uint8_t *buf, size_t len)
{
    rtcp_iter it;
    rtcp_packet p;
    rtcp_iter_init(&it, buf, len);
    require(rtcp_next(&it, &p) == 1);
    return p;
}

static void reports(const rtcp_packet *p)
{
    static uint8_t out[28 + 31 * 24];
    rtcp_sr sr, sr2;
    rtcp_rr rr, rr2;
    if (rtcp_parse_sr(p, &sr) == 0) {
        size_t len = rtcp_build_sr(out, sizeof out, &sr);
        rtcp_packet q = only_packet(out, len);
        require(rtcp_parse_sr(&q, &sr2) == 0 && sr2.n_blocks == sr.n_blocks);
        require(sr2.ssrc == sr.ssrc && sr2.ntp_sec == sr.ntp_sec && sr2.octet_count == sr.octet_count);
        for (size_t i = 0; i < sr.n_blocks; i++)
            require(same_block(&sr.blocks[i], &sr2.blocks[i]));
    }
    if (rtcp_parse_rr(p, &rr) == 0) {
        size_t len = rtcp_build_rr(out, sizeof out, rr.ssrc, rr.blocks, rr.n_blocks);
        rtcp_packet q = only_packet(out, len);
        require(rtcp_parse_rr(&q, &rr2) == 0 && rr2.n_blocks == rr.n_blocks && rr2.ssrc == rr.ssrc);
        for (size_t i = 0; i < rr.n_blocks; i++)
            require(same_block(&rr.blocks[i], &rr2.blocks[i]));
    }
}

static void sdes(const rtcp_packet *p)
{
    static uint8_t out[4 + 4 + 2 + 255 + 4];
    char cname[256], again[256], small[4];
    uint32_t ssrc, ssrc2;
    if (rtcp_parse_sdes_cname(p, &ssrc, cname, sizeof cname) != 0)
        return;
    require(rtcp_parse_sdes_cname(p, &ssrc, small, sizeof small) == 0 && strlen(small) < 4);
    size_t len = rtcp_build_sdes_cname(out, sizeof out, ssrc, cname);
    rtcp_packet q = only_packet(out, len);
    require(rtcp_parse_sdes_cname(&q, &ssrc2, again, sizeof again) == 0);
    require(ssrc2 == ssrc && strcmp(again, cname) == 0);
}

static void bye(const rtcp_packet *p)
{
    static uint8_t out[4 + 4 * 31];
    uint32_t ssrcs[31], again[31];
    size_t n = 0, m = 0;
    if (rtcp_parse_bye(p, ssrcs, 31, &n) != 0)
        return;
    require(n == p->count);
    size_t len = rtcp_build_bye(out, sizeof out, ssrcs, n);
    rtcp_packet q = only_packet(out, len);
    require(rtcp_parse_bye(&q, again, 31, &m) == 0 && m == n && memcmp(again, ssrcs, 4 * n) == 0);
    require(rtcp_parse_bye(p, ssrcs, 1, &n) == 0 && n <= 1);
}

/* A bare PLI rebuilt from its fields is byte for byte the same; a FIR entry
 * survives a rebuild. */
static void pli_fir(const rtcp_packet *p, const rtcp_fb *fb)
{
    uint8_t out[20];
    rtcp_fir_entry fir[64], again[1];
    size_t n = 0, m = 0;
    if (p->type == RTCP_PSFB && p->count == RTCP_FMT_PLI && p->len == 12 && !(p->data[0] & 0x20)) {
        require(rtcp_build_pli(out, sizeof out, fb->sender_ssrc, fb->media_ssrc) == 12);
        require(memcmp(out, p->data, 12) == 0);
    }
    if (rtcp_parse_fir(p, fir, 64, &n) != 0)
        return;
    require(n >= 1 && n <= 64);
    size_t len = rtcp_build_fir(out, sizeof out, fb->sender_ssrc, fir[0].ssrc, fir[0].seq);
    rtcp_packet q = only_packet(out, len);
    require(rtcp_parse_fir(&q, again, 1, &m) == 0 && m == 1);
    require(again[0].ssrc == fir[0].ssrc && again[0].seq == fir[0].seq);
}

/* Rebuilding a parsed NACK must give back exactly the same set of numbers. */
static void nack(const rtcp_packet *p)
{
    static uint16_t seqs[65536], again[65536];
    static uint8_t out[12 + 4 * 65536];
    static uint8_t seen[65536];
    uint32_t media;
    size_t n = 0, m = 0;
    if (rtcp_parse_nack(p, &media, seqs, 65536, &n) != 0)
        return;
    size_t len = rtcp_build_nack(out, sizeof out, 1, media, seqs, n);
    rtcp_packet q = only_packet(out, len);
    require(rtcp_parse_nack(&q, NULL, again, 65536, &m) == 0);
    size_t unique = 0;
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < n; i++) {
        unique += !seen[seqs[i]];
        seen[seqs[i]] = 1;
    }
    require(m == unique);
    for (size_t i = 0; i < m; i++) {
        require(seen[again[i]] == 1);  /* requested, and not repeated */
        seen[again[i]] = 2;
    }
    require(rtcp_parse_nack(p, &media, seqs, 3, &n) == 0 && n <= 3);
}

static void feedback(const rtcp_packet *p)
{
    static uint8_t out[12 + 8 + 4 * 255];
    rtcp_fb fb;
    rtcp_twcc_header tw;
    uint32_t media, ssrcs[255], ssrcs2[255];
    uint64_t rate, rate2;
    size_t n = 0, m = 0;
    if (rtcp_parse_fb(p, &fb) != 0)
        return;
    require(fb.fci >= p->data && fb.fci + fb.fci_len <= p->data + p->len);
    pli_fir(p, &fb);
    (void)rtcp_parse_twcc(p, &media, &tw);
    if (rtcp_parse_remb(p, &rate, ssrcs, 255, &n) == 0) {
        size_t len = rtcp_build_remb(out, sizeof out, 1, rate, ssrcs, n);
        rtcp_packet q = only_packet(out, len);
        require(rtcp_parse_remb(&q, &rate2, ssrcs2, 255, &m) == 0);
        require(rate2 == rate && m == n && memcmp(ssrcs, ssrcs2, 4 * n) == 0);
    }
    nack(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    /* An exact-size copy so ASan catches any read past the compound. */
    uint8_t *buf = malloc(n ? n : 1);
    memcpy(buf, d, n);
    rtcp_iter it;
    rtcp_packet p;
    int r;
    rtcp_iter_init(&it, buf, n);
    while ((r = rtcp_next(&it, &p)) == 1) {
        require(p.data >= buf && p.data + p.len <= buf + n && p.len >= 4);
        (void)rtcp_sender_ssrc(&p);
        reports(&p);
        sdes(&p);
        bye(&p);
        feedback(&p);
    }
    require(rtcp_is_valid_compound(buf, n) == (r == 0 && n > 0));
    free(buf);
    return 0;
}
