/* VP8 payload descriptor / payload header (RFC 7741, RFC 6386 9.1) and H.264
 * key frame recognition (RFC 6184). Vectors are written by hand from the RFCs'
 * bit layouts; every truncation is parsed from an exactly sized heap copy so
 * that ASan sees any read past the end. */
#include "webrtc/vp8.h"

#include <stdlib.h>

#include "check.h"

/* Parses len bytes of v from a heap buffer of exactly len bytes. */
static int parse_exact(const uint8_t *v, size_t len, vp8_descriptor *d)
{
    uint8_t *p = malloc(len ? len : 1);
    if (!p)
        abort();
    if (len)
        memcpy(p, v, len);
    int r = vp8_parse(len ? p : p, len, d);
    free(p);
    return r;
}

static bool h264_exact(const uint8_t *v, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (!p)
        abort();
    if (len)
        memcpy(p, v, len);
    bool r = h264_is_keyframe(p, len);
    free(p);
    return r;
}

/* |X=0|R|N=0|S=1|R|PID=0|, then an inter frame tag: P=1, H=1. */
static const uint8_t v_plain_delta[] = {0x10, 0x31, 0x02, 0x00, 0xAA, 0xBB};

/* X=1 S=1 PID=0; I=1 (M=0, PictureID 5); key frame tag P=0, H=1, VER=0;
 * start code; width 640 with upscaling bits 11, height 360 with 01. */
static const uint8_t v_key7[] = {
    0x90, 0x80, 0x05,
    0x50, 0x01, 0x00,
    0x9d, 0x01, 0x2a,
    0x80, 0xC2,    /* 0xC280: scale 3, width 0x0280 = 640 */
    0x68, 0x41,    /* 0x4168: scale 1, height 0x0168 = 360 */
    0x11, 0x22,
};

/* X=1 N=1 S=0 PID=1; I L T K; M=1 PictureID 0x1234; TL0PICIDX 0xAB;
 * TID=1 Y=1 KEYIDX=11; then partition data. */
static const uint8_t v_full15[] = {0xA1, 0xF0, 0x92, 0x34, 0xAB, 0x6B, 0xDE, 0xAD};

/* Reserved bits all set (R in the first octet, RSV in X) must be ignored:
 * same fields as X=1 S=1 PID=0, I=1 M=1 PictureID 0x7FFF, L, TL0PICIDX 0,
 * inter frame tag. */
static const uint8_t v_reserved[] = {0xD8, 0xCF, 0xFF, 0xFF, 0x00, 0x01, 0x00, 0x00};

static void test_plain(void)
{
    vp8_descriptor d;
    CHECK_EQ_INT(parse_exact(v_plain_delta, sizeof v_plain_delta, &d), 0);
    CHECK(!d.extended);
    CHECK(!d.non_reference);
    CHECK(d.start);
    CHECK_EQ_INT(d.partition, 0);
    CHECK(!d.has_picture_id);
    CHECK_EQ_INT(d.picture_id_bits, 0);
    CHECK(!d.has_tl0picidx);
    CHECK(!d.has_tid);
    CHECK(!d.has_keyidx);
    CHECK_EQ_INT(d.size, 1);
    CHECK(d.frame_start);
    CHECK(!d.keyframe);
    CHECK(d.show_frame);
    CHECK(!d.has_size);
    CHECK_EQ_INT(d.width, 0);
    CHECK_EQ_INT(d.height, 0);
}

static void test_key7(void)
{
    vp8_descriptor d;
    CHECK_EQ_INT(parse_exact(v_key7, sizeof v_key7, &d), 0);
    CHECK(d.extended);
    CHECK(d.start);
    CHECK_EQ_INT(d.partition, 0);
    CHECK(d.has_picture_id);
    CHECK_EQ_INT(d.picture_id_bits, 7);
    CHECK_EQ_INT(d.picture_id, 5);
    CHECK_EQ_INT(d.picture_id_offset, 2);
    CHECK(!d.has_tl0picidx);
    CHECK(!d.has_tid);
    CHECK(!d.has_keyidx);
    CHECK_EQ_INT(d.size, 3);
    CHECK(d.frame_start);
    CHECK(d.keyframe);
    CHECK(d.show_frame);
    CHECK(d.has_size);
    CHECK_EQ_INT(d.width, 640);
    CHECK_EQ_INT(d.height, 360);
}

static void test_full15(void)
{
    vp8_descriptor d;
    CHECK_EQ_INT(parse_exact(v_full15, sizeof v_full15, &d), 0);
    CHECK(d.extended);
    CHECK(d.non_reference);
    CHECK(!d.start);
    CHECK_EQ_INT(d.partition, 1);
    CHECK(d.has_picture_id);
    CHECK_EQ_INT(d.picture_id_bits, 15);
    CHECK_EQ_INT(d.picture_id, 0x1234);
    CHECK_EQ_INT(d.picture_id_offset, 2);
    CHECK(d.has_tl0picidx);
    CHECK_EQ_INT(d.tl0picidx, 0xAB);
    CHECK_EQ_INT(d.tl0picidx_offset, 4);
    CHECK(d.has_tid);
    CHECK_EQ_INT(d.tid, 1);
    CHECK(d.layer_sync);
    CHECK(d.has_keyidx);
    CHECK_EQ_INT(d.keyidx, 11);
    CHECK_EQ_INT(d.size, 6);
    CHECK(!d.frame_start);   /* PID 1, and S = 0 */
    CHECK(!d.keyframe);
}

static void test_reserved_ignored(void)
{
    vp8_descriptor d;
    CHECK_EQ_INT(parse_exact(v_reserved, sizeof v_reserved, &d), 0);
    CHECK(d.extended);
    CHECK(!d.non_reference);
    CHECK(d.start);
    CHECK_EQ_INT(d.partition, 0);
    CHECK(d.has_picture_id);
    CHECK_EQ_INT(d.picture_id_bits, 15);
    CHECK_EQ_INT(d.picture_id, 0x7FFF);
    CHECK(d.has_tl0picidx);
    CHECK_EQ_INT(d.tl0picidx, 0);
    CHECK(!d.has_tid);
    CHECK(!d.has_keyidx);
    CHECK_EQ_INT(d.size, 5);
    CHECK(d.frame_start);
    CHECK(!d.keyframe);
    CHECK(!d.show_frame);
}

/* T and K each alone: the other half of the shared octet is not reported. */
static void test_t_k_alone(void)
{
    static const uint8_t k_only[] = {0x80, 0x10, 0xE5, 0x00};   /* octet TID=3 Y=1 KEYIDX=5 */
    static const uint8_t t_only[] = {0x80, 0x20, 0xE5, 0x00};
    static const uint8_t t_no_y[] = {0x80, 0x20, 0x40, 0x00};   /* TID=1 Y=0 */
    vp8_descriptor d;
    CHECK_EQ_INT(parse_exact(k_only, sizeof k_only, &d), 0);
    CHECK(!d.has_tid);
    CHECK_EQ_INT(d.tid, 0);
    CHECK(!d.layer_sync);
    CHECK(d.has_keyidx);
    CHECK_EQ_INT(d.keyidx, 5);
    CHECK_EQ_INT(d.size, 3);
    CHECK(!d.frame_start);   /* S = 0 */

    CHECK_EQ_INT(parse_exact(t_only, sizeof t_only, &d), 0);
    CHECK(d.has_tid);
    CHECK_EQ_INT(d.tid, 3);
    CHECK(d.layer_sync);
    CHECK(!d.has_keyidx);
    CHECK_EQ_INT(d.keyidx, 0);
    CHECK_EQ_INT(d.size, 3);

    CHECK_EQ_INT(parse_exact(t_no_y, sizeof t_no_y, &d), 0);
    CHECK_EQ_INT(d.tid, 1);
    CHECK(!d.layer_sync);
}

/* S=1 with PID != 0 is a partition start, not a frame start: no payload header. */
static void test_partition_start(void)
{
    static const uint8_t v[] = {0x13, 0x00};   /* S=1 PID=3, one octet of data (P bit 0) */
    vp8_descriptor d;
    CHECK_EQ_INT(parse_exact(v, sizeof v, &d), 0);
    CHECK(d.start);
    CHECK_EQ_INT(d.partition, 3);
    CHECK(!d.frame_start);
    CHECK(!d.keyframe);
}

/* Every prefix of each vector: either rejected, or parsed consistently with
 * the full vector. The expected outcome is derived from the layout. */
static void check_truncations(const uint8_t *v, size_t n)
{
    vp8_descriptor full;
    CHECK_EQ_INT(parse_exact(v, n, &full), 0);
    for (size_t len = 0; len < n; len++) {
        vp8_descriptor d;
        int r = parse_exact(v, len, &d);
        size_t data = len > full.size ? len - full.size : 0;
        int want = 0;
        if (len <= full.size)
            want = -1;   /* descriptor cut, or nothing after it */
        else if (full.frame_start && data < VP8_PAYLOAD_HEADER_LEN)
            want = -1;   /* frame tag cut */
        CHECK_EQ_INT(r, want);
        if (r != 0)
            continue;
        CHECK_EQ_INT(d.size, full.size);
        CHECK_EQ_INT(d.picture_id, full.picture_id);
        CHECK_EQ_INT(d.tl0picidx, full.tl0picidx);
        CHECK_EQ_INT(d.keyframe, full.keyframe);
        CHECK_EQ_INT(d.has_size, full.keyframe && data >= VP8_KEYFRAME_HEADER_LEN);
        if (d.has_size) {
            CHECK_EQ_INT(d.width, full.width);
            CHECK_EQ_INT(d.height, full.height);
        } else {
            CHECK_EQ_INT(d.width, 0);
        }
    }
}

static void test_truncations(void)
{
    check_truncations(v_plain_delta, sizeof v_plain_delta);
    check_truncations(v_key7, sizeof v_key7);
    check_truncations(v_full15, sizeof v_full15);
    check_truncations(v_reserved, sizeof v_reserved);
    /* The key frame cut just before the sizes is still a key frame. */
    vp8_descriptor d;
    CHECK_EQ_INT(parse_exact(v_key7, 3 + 9, &d), 0);
    CHECK(d.keyframe);
    CHECK(!d.has_size);
    CHECK_EQ_INT(parse_exact(v_key7, 3 + 10, &d), 0);
    CHECK(d.has_size);
}

static void test_malformed(void)
{
    vp8_descriptor d;
    CHECK_EQ_INT(vp8_parse(NULL, 4, &d), -1);
    CHECK_EQ_INT(vp8_parse(v_key7, sizeof v_key7, NULL), -1);
    CHECK_EQ_INT(parse_exact(v_key7, 0, &d), -1);
    /* X set, extension octet missing. */
    static const uint8_t x_cut[] = {0x80};
    CHECK_EQ_INT(parse_exact(x_cut, sizeof x_cut, &d), -1);
    /* M set, second PictureID octet missing (no data either). */
    static const uint8_t m_cut[] = {0x80, 0x80, 0x81};
    CHECK_EQ_INT(parse_exact(m_cut, sizeof m_cut, &d), -1);
    /* The same with one more octet is a 15-bit id and no data: still rejected. */
    static const uint8_t m_nodata[] = {0x80, 0x80, 0x81, 0x02};
    CHECK_EQ_INT(parse_exact(m_nodata, sizeof m_nodata, &d), -1);
    /* L and T set, only TL0PICIDX present. */
    static const uint8_t lt_cut[] = {0x80, 0x60, 0x07};
    CHECK_EQ_INT(parse_exact(lt_cut, sizeof lt_cut, &d), -1);
    /* Descriptor only. */
    static const uint8_t only[] = {0x10};
    CHECK_EQ_INT(parse_exact(only, sizeof only, &d), -1);
    /* Key frame with a wrong start code, at each of its three octets. */
    for (size_t i = 0; i < 3; i++) {
        uint8_t bad[sizeof v_key7];
        memcpy(bad, v_key7, sizeof bad);
        bad[6 + i] ^= 0x01;
        CHECK_EQ_INT(parse_exact(bad, sizeof bad, &d), -1);
        /* Also when the packet ends inside the start code, after the bad octet. */
        CHECK_EQ_INT(parse_exact(bad, 7 + i, &d), -1);
    }
    /* Zero width, then zero height (upscaling bits alone do not count). */
    uint8_t zw[sizeof v_key7];
    memcpy(zw, v_key7, sizeof zw);
    zw[9] = 0x00;
    zw[10] = 0xC0;
    CHECK_EQ_INT(parse_exact(zw, sizeof zw, &d), -1);
    memcpy(zw, v_key7, sizeof zw);
    zw[11] = 0x00;
    zw[12] = 0x40;
    CHECK_EQ_INT(parse_exact(zw, sizeof zw, &d), -1);
    /* The same bytes as an inter frame (P=1) are not looked into. */
    zw[3] |= 0x01;
    CHECK_EQ_INT(parse_exact(zw, sizeof zw, &d), 0);
    CHECK(!d.keyframe);
}

static void test_set_picture_id(void)
{
    uint8_t b[sizeof v_full15];
    memcpy(b, v_full15, sizeof b);
    CHECK_EQ_INT(vp8_set_picture_id(b, sizeof b, 0x0123), 0);
    static const uint8_t want15[] = {0xA1, 0xF0, 0x81, 0x23, 0xAB, 0x6B, 0xDE, 0xAD};
    CHECK_MEM(b, want15, sizeof b);
    /* Reduced to 15 bits: the M bit stays, bit 15 is dropped. */
    CHECK_EQ_INT(vp8_set_picture_id(b, sizeof b, 0xFFFF), 0);
    CHECK_EQ_INT(b[2], 0xFF);
    CHECK_EQ_INT(b[3], 0xFF);
    CHECK_EQ_INT(vp8_set_picture_id(b, sizeof b, 0x8000), 0);
    CHECK_EQ_INT(b[2], 0x80);
    CHECK_EQ_INT(b[3], 0x00);
    vp8_descriptor d;
    CHECK_EQ_INT(vp8_parse(b, sizeof b, &d), 0);
    CHECK_EQ_INT(d.picture_id, 0);
    CHECK_EQ_INT(d.picture_id_bits, 15);

    uint8_t k[sizeof v_key7];
    memcpy(k, v_key7, sizeof k);
    CHECK_EQ_INT(vp8_set_picture_id(k, sizeof k, 200), 0);   /* 200 mod 128 = 72 */
    CHECK_EQ_INT(k[2], 72);
    CHECK_MEM(k + 3, v_key7 + 3, sizeof k - 3);
    CHECK_EQ_INT(k[0], v_key7[0]);
    CHECK_EQ_INT(k[1], v_key7[1]);
    CHECK_EQ_INT(vp8_set_picture_id(k, sizeof k, 0x7F), 0);
    CHECK_EQ_INT(k[2], 0x7F);   /* M stays 0 */

    /* No PictureID, or malformed: refused, untouched. */
    uint8_t p[sizeof v_plain_delta];
    memcpy(p, v_plain_delta, sizeof p);
    CHECK_EQ_INT(vp8_set_picture_id(p, sizeof p, 9), -1);
    CHECK_MEM(p, v_plain_delta, sizeof p);
    memcpy(b, v_full15, sizeof b);
    CHECK_EQ_INT(vp8_set_picture_id(b, 6, 9), -1);   /* nothing after the descriptor */
    CHECK_MEM(b, v_full15, sizeof b);
    CHECK_EQ_INT(vp8_set_picture_id(NULL, 6, 9), -1);
}

static void test_set_tl0picidx(void)
{
    uint8_t b[sizeof v_full15];
    memcpy(b, v_full15, sizeof b);
    CHECK_EQ_INT(vp8_set_tl0picidx(b, sizeof b, 0x00), 0);
    static const uint8_t want[] = {0xA1, 0xF0, 0x92, 0x34, 0x00, 0x6B, 0xDE, 0xAD};
    CHECK_MEM(b, want, sizeof b);
    uint8_t k[sizeof v_key7];
    memcpy(k, v_key7, sizeof k);
    CHECK_EQ_INT(vp8_set_tl0picidx(k, sizeof k, 1), -1);
    CHECK_MEM(k, v_key7, sizeof k);
    CHECK_EQ_INT(vp8_set_tl0picidx(b, 5, 1), -1);
    CHECK_MEM(b, want, sizeof b);
}

/* Random payloads from exactly sized heap buffers: no crash, no read past
 * the end (ASan), and consistent results. */
static uint32_t rng_state = 0x12345678;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_random(void)
{
    int consistent = 1, parsed = 0;
    for (int i = 0; i < 200000; i++) {
        size_t len = rng() % 16;
        uint8_t *p = malloc(len ? len : 1);
        if (!p)
            abort();
        for (size_t j = 0; j < len; j++)
            p[j] = (uint8_t)rng();
        /* Bias towards the interesting bits: X/S/PID=0 and I/L/T/K. */
        if (len && (i & 1))
            p[0] = (uint8_t)((p[0] & 0x80) | 0x10);
        vp8_descriptor d;
        if (vp8_parse(p, len, &d) == 0) {
            parsed++;
            if (d.size == 0 || d.size >= len || d.size > VP8_DESCRIPTOR_MAX)
                consistent = 0;
            if (d.has_picture_id && d.picture_id_offset + (d.picture_id_bits == 15 ? 2u : 1u) > d.size)
                consistent = 0;
            if (d.has_tl0picidx && d.tl0picidx_offset >= d.size)
                consistent = 0;
            if (d.keyframe && !d.frame_start)
                consistent = 0;
            uint16_t want = (uint16_t)rng();
            int r = vp8_set_picture_id(p, len, want);
            if (r != (d.has_picture_id ? 0 : -1))
                consistent = 0;
            vp8_descriptor e;
            if (vp8_parse(p, len, &e) != 0 || e.size != d.size)
                consistent = 0;
            else if (d.has_picture_id &&
                     e.picture_id != (want & (d.picture_id_bits == 15 ? 0x7FFF : 0x7F)))
                consistent = 0;
        }
        (void)h264_is_keyframe(p, len);
        free(p);
    }
    CHECK(consistent);
    CHECK(parsed > 1000);
}

/* ---- H.264 (RFC 6184) ---- */

static const uint8_t h_idr[] = {0x65, 0x88, 0x84};          /* NRI 3, type 5 */
static const uint8_t h_slice[] = {0x41, 0x9a, 0x02};        /* type 1 */
static const uint8_t h_sps[] = {0x67, 0x42, 0xc0, 0x1f};    /* type 7 */
static const uint8_t h_stap_idr[] = {
    0x78,                            /* STAP-A, NRI 3 */
    0x00, 0x03, 0x67, 0x42, 0xc0,    /* SPS */
    0x00, 0x02, 0x68, 0xce,          /* PPS */
    0x00, 0x03, 0x65, 0x88, 0x84,    /* IDR */
};
static const uint8_t h_stap_noidr[] = {
    0x78,
    0x00, 0x03, 0x67, 0x42, 0xc0,
    0x00, 0x02, 0x68, 0xce,
};
static const uint8_t h_fu_start[] = {0x7c, 0x85, 0xb8, 0x00};   /* FU-A, S=1 type 5 */
static const uint8_t h_fu_mid[] = {0x7c, 0x05, 0x11, 0x22};
static const uint8_t h_fu_end[] = {0x7c, 0x45, 0x11};
static const uint8_t h_fu_both[] = {0x7c, 0xc5, 0x11};
static const uint8_t h_fu_slice[] = {0x5c, 0x81, 0x11};       /* start of a type 1 */

static void test_h264(void)
{
    CHECK(h264_exact(h_idr, sizeof h_idr));
    CHECK(!h264_exact(h_idr, 1));              /* header only */
    CHECK(!h264_exact(h_slice, sizeof h_slice));
    CHECK(!h264_exact(h_sps, sizeof h_sps));
    static const uint8_t f_idr[] = {0xe5, 0x88};   /* forbidden bit */
    CHECK(!h264_exact(f_idr, sizeof f_idr));
    static const uint8_t nri0_idr[] = {0x05, 0x88};
    CHECK(h264_exact(nri0_idr, sizeof nri0_idr));

    CHECK(h264_exact(h_stap_idr, sizeof h_stap_idr));
    CHECK(!h264_exact(h_stap_noidr, sizeof h_stap_noidr));
    /* Every truncation of the STAP-A breaks a unit size: rejected whole. */
    int all_false = 1;
    for (size_t len = 0; len < sizeof h_stap_idr; len++)
        if (h264_exact(h_stap_idr, len))
            all_false = 0;
    CHECK(all_false);
    /* One trailing octet, a zero size, a size that overruns. */
    uint8_t b[sizeof h_stap_idr + 1];
    memcpy(b, h_stap_idr, sizeof h_stap_idr);
    b[sizeof h_stap_idr] = 0x00;
    CHECK(!h264_exact(b, sizeof b));
    static const uint8_t zero_unit[] = {0x78, 0x00, 0x00, 0x00, 0x02, 0x65, 0x88};
    CHECK(!h264_exact(zero_unit, sizeof zero_unit));
    static const uint8_t overrun[] = {0x78, 0x00, 0x02, 0x65, 0x88, 0x00, 0x09, 0x65};
    CHECK(!h264_exact(overrun, sizeof overrun));
    static const uint8_t idr_hdr_only[] = {0x78, 0x00, 0x01, 0x65};
    CHECK(!h264_exact(idr_hdr_only, sizeof idr_hdr_only));
    static const uint8_t f_in_stap[] = {0x78, 0x00, 0x02, 0xe5, 0x88};
    CHECK(!h264_exact(f_in_stap, sizeof f_in_stap));
    static const uint8_t stap_f[] = {0xf8, 0x00, 0x02, 0x65, 0x88};   /* F on the STAP-A */
    CHECK(!h264_exact(stap_f, sizeof stap_f));

    CHECK(h264_exact(h_fu_start, sizeof h_fu_start));
    CHECK(!h264_exact(h_fu_start, 2));         /* no fragment data */
    CHECK(!h264_exact(h_fu_start, 1));
    CHECK(!h264_exact(h_fu_mid, sizeof h_fu_mid));
    CHECK(!h264_exact(h_fu_end, sizeof h_fu_end));
    CHECK(!h264_exact(h_fu_both, sizeof h_fu_both));
    CHECK(!h264_exact(h_fu_slice, sizeof h_fu_slice));

    /* Other packet types are not looked into. */
    static const uint8_t stap_b[] = {0x79, 0x00, 0x01, 0x00, 0x02, 0x65, 0x88};
    CHECK(!h264_exact(stap_b, sizeof stap_b));
    static const uint8_t fu_b[] = {0x7d, 0x85, 0x00, 0x01, 0x11};
    CHECK(!h264_exact(fu_b, sizeof fu_b));
    static const uint8_t type0[] = {0x00, 0x65};
    CHECK(!h264_exact(type0, sizeof type0));
    CHECK(!h264_is_keyframe(NULL, 3));
    CHECK(!h264_exact(h_idr, 0));
}

int main(void)
{
    test_plain();
    test_key7();
    test_full15();
    test_reserved_ignored();
    test_t_k_alone();
    test_partition_start();
    test_truncations();
    test_malformed();
    test_set_picture_id();
    test_set_tl0picidx();
    test_random();
    test_h264();
    return check_report("vp8");
}
