/* Payload stamps of stoa-load: see stamp.h. */
#include "stamp.h"

#include <string.h>
#include "core/bytes.h"

size_t stamp_write(uint8_t *out, size_t cap, const load_stamp *s)
{
    if (cap < STAMP_SIZE)
        return 0;
    be32_write(out, STAMP_MAGIC);
    be32_write(out + 4, s->publisher);
    out[8] = s->stream;
    out[9] = out[10] = out[11] = 0;
    be32_write(out + 12, s->seq);
    be32_write(out + 16, (uint32_t)(s->send_ns >> 32));
    be32_write(out + 20, (uint32_t)s->send_ns);
    return STAMP_SIZE;
}

int stamp_read(const uint8_t *in, size_t len, load_stamp *s)
{
    if (len < STAMP_SIZE || be32_read(in) != STAMP_MAGIC)
        return -1;
    s->publisher = be32_read(in + 4);
    s->stream = in[8];
    s->seq = be32_read(in + 12);
    s->send_ns = (uint64_t)be32_read(in + 16) << 32 | be32_read(in + 20);
    return 0;
}

size_t stamp_payload(uint8_t *out, size_t cap, const load_stamp *s, bool first_of_frame, size_t payload_len)
{
    size_t off = 0;
    if (payload_len > cap)
        return 0;
    if (s->stream >= STAMP_VIDEO) {
        if (payload_len < 1)
            return 0;
        /* X=0 R=0 N=0 S PartID=0 */
        out[off++] = first_of_frame ? 0x10 : 0x00;
    }
    if (stamp_write(out + off, payload_len - off, s) == 0)
        return 0;
    off += STAMP_SIZE;
    /* A recognisable filler pattern, cheap to write. */
    for (size_t i = off; i < payload_len; i++)
        out[i] = (uint8_t)(i * 31u);
    return payload_len;
}

size_t stamp_payload_key(uint8_t *out, size_t cap, const load_stamp *s, unsigned height, size_t payload_len)
{
    size_t head = 1 + STAMP_VP8_KEY_HEADER;
    if (payload_len > cap || payload_len < head + STAMP_SIZE || height == 0 || height > 0x3FFF)
        return 0;
    unsigned width = height * 16 / 9;
    out[0] = 0x10;                               /* S, partition 0 */
    out[1] = 0x10;                               /* frame tag: key frame (P = 0), shown */
    out[2] = out[3] = 0;
    out[4] = 0x9d;                               /* start code */
    out[5] = 0x01;
    out[6] = 0x2a;
    out[7] = (uint8_t)width;
    out[8] = (uint8_t)(width >> 8);
    out[9] = (uint8_t)height;
    out[10] = (uint8_t)(height >> 8);
    if (stamp_write(out + head, payload_len - head, s) == 0)
        return 0;
    for (size_t i = head + STAMP_SIZE; i < payload_len; i++)
        out[i] = (uint8_t)(i * 31u);
    return payload_len;
}

int stamp_find(const uint8_t *payload, size_t len, bool vp8, load_stamp *s)
{
    size_t off = 0;
    if (vp8) {
        if (len < 1)
            return -1;
        uint8_t b0 = payload[off++];
        if (b0 & 0x80) {                         /* X: extension control byte */
            if (off >= len)
                return -1;
            uint8_t x = payload[off++];
            if (x & 0x80) {                      /* I: picture id, 7 or 15 bits */
                if (off >= len)
                    return -1;
                off += (payload[off] & 0x80) ? 2 : 1;
            }
            if (x & 0x40)                        /* L: TL0PICIDX */
                off++;
            if (x & 0x30)                        /* T or K: TID/Y/KEYIDX */
                off++;
            if (off > len)
                return -1;
        }
        /* A frame start whose frame tag says key frame (P = 0): its header
         * comes before the stamp (whose magic reads as P = 1 otherwise). */
        if ((b0 & 0x1F) == 0x10 && off < len && (payload[off] & 1) == 0)
            off += STAMP_VP8_KEY_HEADER;
        if (off > len)
            return -1;
    }
    return stamp_read(payload + off, len - off, s);
}
