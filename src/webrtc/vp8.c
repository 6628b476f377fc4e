/* VP8 RTP payload descriptor and payload header (RFC 7741), the VP8 key frame
 * header (RFC 6386 9.1), H.264 IDR recognition (RFC 6184). */
#include "webrtc/vp8.h"

#include <string.h>

/* Descriptor bits (RFC 7741 4.2), most significant bit first. */
#define VP8_X 0x80
#define VP8_N 0x20
#define VP8_S 0x10
#define VP8_PID 0x07
#define VP8_I 0x80
#define VP8_L 0x40
#define VP8_T 0x20
#define VP8_K 0x10
#define VP8_M 0x80
#define VP8_Y 0x20

/* Frame tag (RFC 7741 4.3; RFC 6386 9.1): the 24-bit little-endian tag's
 * lowest bit is P (0 for key frames), bit 4 is H (show_frame). */
#define VP8_TAG_P 0x01
#define VP8_TAG_H 0x10

static const uint8_t vp8_start_code[3] = {0x9d, 0x01, 0x2a};

/* Reads the optional descriptor fields after the X octet at off. Returns the
 * offset after them, or 0 when they overrun len. */
static size_t parse_extension(const uint8_t *p, size_t len, size_t off, vp8_descriptor *d)
{
    uint8_t x = p[off++];
    if (x & VP8_I) {
        if (off >= len)
            return 0;
        d->has_picture_id = true;
        d->picture_id_offset = off;
        if (p[off] & VP8_M) {
            if (len - off < 2)
                return 0;
            d->picture_id_bits = 15;
            d->picture_id = (uint16_t)((p[off] & 0x7F) << 8 | p[off + 1]);
            off += 2;
        } else {
            d->picture_id_bits = 7;
            d->picture_id = p[off] & 0x7F;
            off += 1;
        }
    }
    if (x & VP8_L) {
        if (off >= len)
            return 0;
        d->has_tl0picidx = true;
        d->tl0picidx_offset = off;
        d->tl0picidx = p[off++];
    }
    if (x & (VP8_T | VP8_K)) {
        if (off >= len)
            return 0;
        uint8_t b = p[off++];
        if (x & VP8_T) {
            d->has_tid = true;
            d->tid = b >> 6;
            d->layer_sync = b & VP8_Y;
        }
        if (x & VP8_K) {
            d->has_keyidx = true;
            d->keyidx = b & 0x1F;
        }
    }
    return off;
}

/* The frame tag and, for key frames, the start code and sizes. */
static int parse_payload_header(const uint8_t *v, size_t n, vp8_descriptor *d)
{
    if (n < VP8_PAYLOAD_HEADER_LEN)
        return -1;
    d->show_frame = v[0] & VP8_TAG_H;
    if (v[0] & VP8_TAG_P)
        return 0;
    d->keyframe = true;
    size_t code = n - VP8_PAYLOAD_HEADER_LEN;
    if (code > sizeof vp8_start_code)
        code = sizeof vp8_start_code;
    if (memcmp(v + VP8_PAYLOAD_HEADER_LEN, vp8_start_code, code) != 0)
        return -1;
    if (n < VP8_KEYFRAME_HEADER_LEN)
        return 0;
    /* 16-bit little-endian: 2 bits of upscaling above the 14-bit size. */
    d->width = (uint16_t)((v[6] | v[7] << 8) & 0x3FFF);
    d->height = (uint16_t)((v[8] | v[9] << 8) & 0x3FFF);
    if (d->width == 0 || d->height == 0)
        return -1;
    d->has_size = true;
    return 0;
}

int vp8_parse(const uint8_t *payload, size_t len, vp8_descriptor *d)
{
    if (!payload || !d || len == 0)
        return -1;
    memset(d, 0, sizeof *d);
    uint8_t b = payload[0];
    d->extended = b & VP8_X;
    d->non_reference = b & VP8_N;
    d->start = b & VP8_S;
    d->partition = b & VP8_PID;
    size_t off = 1;
    if (d->extended) {
        if (off >= len || (off = parse_extension(payload, len, off, d)) == 0)
            return -1;
    }
    if (off >= len)
        return -1;   /* a descriptor with no VP8 data behind it */
    d->size = off;
    if (d->start && d->partition == 0) {
        d->frame_start = true;
        if (parse_payload_header(payload + off, len - off, d) < 0)
            return -1;
    }
    return 0;
}

int vp8_set_picture_id(uint8_t *payload, size_t len, uint16_t picture_id)
{
    vp8_descriptor d;
    if (vp8_parse(payload, len, &d) < 0 || !d.has_picture_id)
        return -1;
    uint8_t *p = payload + d.picture_id_offset;
    if (d.picture_id_bits == 15) {
        p[0] = (uint8_t)(VP8_M | (picture_id >> 8 & 0x7F));
        p[1] = (uint8_t)picture_id;
    } else {
        p[0] = (uint8_t)(picture_id & 0x7F);
    }
    return 0;
}

int vp8_set_tl0picidx(uint8_t *payload, size_t len, uint8_t tl0picidx)
{
    vp8_descriptor d;
    if (vp8_parse(payload, len, &d) < 0 || !d.has_tl0picidx)
        return -1;
    payload[d.tl0picidx_offset] = tl0picidx;
    return 0;
}

/* RFC 6184 5.3: F (forbidden_zero_bit), NRI, and the 5-bit type. */
#define H264_F 0x80
#define H264_TYPE 0x1F
#define H264_IDR 5
#define H264_STAP_A 24
#define H264_FU_A 28
#define H264_FU_S 0x80
#define H264_FU_E 0x40

static bool h264_nal_is_idr(uint8_t nal_header)
{
    return !(nal_header & H264_F) && (nal_header & H264_TYPE) == H264_IDR;
}

/* RFC 6184 5.7.1: after the STAP-A octet, units of a 16-bit size then the
 * NAL unit (header included). Every size must be non-zero and fit. */
static bool stap_a_has_idr(const uint8_t *p, size_t len)
{
    bool idr = false;
    size_t off = 1;
    while (off < len) {
        if (len - off < 2)
            return false;
        size_t n = (size_t)p[off] << 8 | p[off + 1];
        off += 2;
        if (n == 0 || n > len - off)
            return false;
        idr = idr || (n >= 2 && h264_nal_is_idr(p[off]));
        off += n;
    }
    return idr;
}

bool h264_is_keyframe(const uint8_t *payload, size_t len)
{
    if (!payload || len == 0 || (payload[0] & H264_F))
        return false;
    switch (payload[0] & H264_TYPE) {
    case H264_IDR:
        return len >= 2;
    case H264_STAP_A:
        return stap_a_has_idr(payload, len);
    case H264_FU_A:
        /* RFC 6184 5.8: FU indicator, then FU header |S|E|R|Type|; one FU
         * never carries a whole NAL unit (S and E both set). */
        return len >= 3 && (payload[1] & (H264_FU_S | H264_FU_E)) == H264_FU_S &&
               (payload[1] & H264_TYPE) == H264_IDR;
    default:
        return false;
    }
}
