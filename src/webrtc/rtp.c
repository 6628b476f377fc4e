/* RTP header parsing (RFC 3550) and RFC 8285 header extensions, read and edited in place. */
#include "webrtc/rtp.h"

#include <string.h>
#include "core/bytes.h"

enum ext_form { EXT_NONE, EXT_ONE_BYTE, EXT_TWO_BYTE };

typedef struct ext_elem {
    size_t hdr_off;    /* first byte of the element's header */
    size_t data_off;
    uint8_t id;
    uint8_t len;
} ext_elem;

bool rtp_is_rtcp(const uint8_t *buf, size_t len)
{
    return buf && len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

/* Reads the extension block header at off; returns the offset after the block or 0. */
static size_t parse_ext_block(const uint8_t *buf, size_t len, size_t off, rtp_header *h)
{
    if (len - off < 4)
        return 0;
    h->ext_profile = be16_read(buf + off);
    h->ext_offset = off + 4;
    h->ext_len = 4u * be16_read(buf + off + 2);
    if (h->ext_len > len - h->ext_offset)
        return 0;
    return h->ext_offset + h->ext_len;
}

/* The count byte includes itself (RFC 3550 5.1), so 0 can never be valid. */
static int parse_padding(const uint8_t *buf, size_t len, rtp_header *h)
{
    size_t rest = len - h->header_len;
    if (rest == 0)
        return -1;
    h->padding_len = buf[len - 1];
    if (h->padding_len == 0 || h->padding_len > rest)
        return -1;
    return 0;
}

int rtp_parse(const uint8_t *buf, size_t len, rtp_header *h)
{
    if (!buf || !h || len < RTP_HEADER_MIN)
        return -1;
    memset(h, 0, sizeof *h);
    h->version = buf[0] >> 6;
    if (h->version != 2)
        return -1;
    h->padding = buf[0] & 0x20;
    h->extension = buf[0] & 0x10;
    h->csrc_count = buf[0] & 0x0F;
    h->marker = buf[1] & 0x80;
    h->payload_type = buf[1] & 0x7F;
    h->seq = be16_read(buf + 2);
    h->timestamp = be32_read(buf + 4);
    h->ssrc = be32_read(buf + 8);

    size_t off = RTP_HEADER_MIN + 4u * h->csrc_count;
    if (off > len)
        return -1;
    for (size_t i = 0; i < h->csrc_count; i++)
        h->csrc[i] = be32_read(buf + RTP_HEADER_MIN + 4 * i);
    if (h->extension && (off = parse_ext_block(buf, len, off, h)) == 0)
        return -1;
    h->header_len = off;
    if (h->padding && parse_padding(buf, len, h) != 0)
        return -1;
    h->payload_len = len - h->header_len - h->padding_len;
    return 0;
}

static enum ext_form ext_form(const rtp_header *h)
{
    if (!h || !h->extension)
        return EXT_NONE;
    if (h->ext_profile == RTP_EXT_PROFILE_ONE_BYTE)
        return EXT_ONE_BYTE;
    if ((h->ext_profile & 0xFFF0) == RTP_EXT_PROFILE_TWO_BYTE)
        return EXT_TWO_BYTE;
    return EXT_NONE;
}

static bool ext_id_valid(enum ext_form form, uint8_t id)
{
    return id != 0 && (form == EXT_TWO_BYTE || id < 15);
}

/* Next element at or after *pos. Returns 1 with e filled, 0 at the end of the
 * block, -1 when an element overruns it. A zero ID is one padding byte in
 * either form, whatever its length nibble says. */
static int ext_next(const uint8_t *buf, const rtp_header *h, enum ext_form form,
                    size_t *pos, ext_elem *e)
{
    size_t end = h->ext_offset + h->ext_len;
    unsigned id_shift = form == EXT_ONE_BYTE ? 4 : 0;
    while (*pos < end && (buf[*pos] >> id_shift) == 0)
        (*pos)++;
    if (*pos >= end)
        return 0;
    e->hdr_off = *pos;
    if (form == EXT_ONE_BYTE) {
        e->id = buf[*pos] >> 4;
        if (e->id == 15) {  /* RFC 8285 4.2: reserved, everything after it is ignored */
            *pos = end;
            return 0;
        }
        e->len = (uint8_t)((buf[*pos] & 0x0F) + 1);
        e->data_off = *pos + 1;
    } else {
        if (end - *pos < 2)
            return -1;
        e->id = buf[*pos];
        e->len = buf[*pos + 1];
        e->data_off = *pos + 2;
    }
    if (e->len > end - e->data_off)
        return -1;
    *pos = e->data_off + e->len;
    return 1;
}

int rtp_ext_find(const uint8_t *buf, const rtp_header *h, uint8_t id,
                 size_t *data_off, uint8_t *data_len)
{
    enum ext_form form = ext_form(h);
    if (!buf || form == EXT_NONE || !ext_id_valid(form, id))
        return -1;
    size_t pos = h->ext_offset;
    ext_elem e;
    while (ext_next(buf, h, form, &pos, &e) == 1) {
        if (e.id != id)
            continue;
        if (data_off)
            *data_off = e.data_off;
        if (data_len)
            *data_len = e.len;
        return 0;
    }
    return -1;
}

int rtp_ext_blank(uint8_t *buf, const rtp_header *h, uint8_t id)
{
    enum ext_form form = ext_form(h);
    if (!buf || form == EXT_NONE || !ext_id_valid(form, id))
        return 0;
    size_t pos = h->ext_offset;
    ext_elem e;
    int blanked = 0;
    /* Keep going after a match: a duplicated ID must not leak through either. */
    while (ext_next(buf, h, form, &pos, &e) == 1) {
        if (e.id != id)
            continue;
        memset(buf + e.hdr_off, 0, e.data_off + e.len - e.hdr_off);
        blanked = 1;
    }
    return blanked;
}

int rtp_audio_level(const uint8_t *buf, const rtp_header *h, uint8_t id, bool *voice)
{
    size_t off;
    uint8_t n;
    if (rtp_ext_find(buf, h, id, &off, &n) != 0 || n < 1)
        return -1;
    if (voice)
        *voice = buf[off] & 0x80;
    return buf[off] & 0x7F;
}
