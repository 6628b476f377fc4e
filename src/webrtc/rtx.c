/* RFC 4588 retransmission packets: building from an original, restoring it back. */
#include "webrtc/rtx.h"

#include <string.h>
#include "core/bytes.h"

/* Writes the header of an output packet whose header bytes are already in
 * place: P bit cleared, marker kept, the given payload type, seq and SSRC. */
static void rewrite_header(uint8_t *out, uint8_t pt, uint16_t seq, uint32_t ssrc)
{
    out[0] &= (uint8_t)~0x20;
    out[1] = (uint8_t)((out[1] & 0x80) | pt);
    be16_write(out + 2, seq);
    be32_write(out + 8, ssrc);
}

int rtx_build(const uint8_t *orig, size_t orig_len, uint32_t rtx_ssrc, uint8_t rtx_pt,
              uint16_t rtx_seq, uint8_t *out, size_t out_cap, size_t *out_len)
{
    rtp_header h;
    if (!orig || !out || !out_len || rtx_pt > 127 || rtp_parse(orig, orig_len, &h) != 0)
        return RTX_ERR_INVALID;
    size_t need = h.header_len + RTX_OSN_LEN + h.payload_len;
    *out_len = need;
    if (need > out_cap)
        return RTX_ERR_SPACE;
    /* Back to front, so that building in place (out == orig) reads each
     * byte before it is overwritten. */
    memmove(out + h.header_len + RTX_OSN_LEN, orig + h.header_len, h.payload_len);
    be16_write(out + h.header_len, h.seq);
    memmove(out, orig, h.header_len);
    rewrite_header(out, rtx_pt, rtx_seq, rtx_ssrc);
    return RTX_OK;
}

int rtx_parse(const uint8_t *pkt, size_t len, rtx_info *info)
{
    if (!info)
        return RTX_ERR_INVALID;
    memset(info, 0, sizeof *info);
    if (rtp_parse(pkt, len, &info->hdr) != 0)
        return RTX_ERR_INVALID;
    if (info->hdr.payload_len == 0)
        return RTX_EMPTY;
    if (info->hdr.payload_len < RTX_OSN_LEN)
        return RTX_ERR_INVALID;
    const uint8_t *p = pkt + info->hdr.header_len;
    info->osn = (uint16_t)(p[0] << 8 | p[1]);
    info->payload_off = info->hdr.header_len + RTX_OSN_LEN;
    info->payload_len = info->hdr.payload_len - RTX_OSN_LEN;
    return RTX_OK;
}

int rtx_restore(const uint8_t *pkt, size_t len, uint8_t orig_pt, uint32_t orig_ssrc,
                uint8_t *out, size_t out_cap, size_t *out_len)
{
    rtx_info r;
    if (!out || !out_len || orig_pt > 127)
        return RTX_ERR_INVALID;
    int rc = rtx_parse(pkt, len, &r);
    if (rc != RTX_OK)
        return rc;
    size_t need = r.hdr.header_len + r.payload_len;
    *out_len = need;
    if (need > out_cap)
        return RTX_ERR_SPACE;
    /* Front to back: the payload moves towards the start when in place. */
    memmove(out, pkt, r.hdr.header_len);
    memmove(out + r.hdr.header_len, pkt + r.payload_off, r.payload_len);
    rewrite_header(out, orig_pt, r.osn, orig_ssrc);
    return RTX_OK;
}
