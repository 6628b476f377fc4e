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
    if (s->stream == STAMP_VIDEO) {
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
    }
    return stamp_read(payload + off, len - off, s);
}
