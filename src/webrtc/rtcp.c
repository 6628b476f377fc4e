/* RTCP compound packets: walking, parsing and building SR, RR, SDES, BYE and feedback (RFC 3550, 4585, 5104, REMB, transport-cc). */
#include "webrtc/rtcp.h"

#include <string.h>
#include "core/bytes.h"

#define HDR_LEN 4
#define FB_HDR_LEN 12      /* common header, sender SSRC, media SSRC */
#define SR_LEN 28          /* up to the first report block */
#define RR_LEN 8
#define BLOCK_LEN 24
#define MAX_COUNT 31       /* the 5-bit RC/SC field */
#define REMB_FCI_LEN 8     /* "REMB", num SSRC, exponent and mantissa */
#define TWCC_FCI_LEN 8     /* base seq, status count, reference time, fb pkt count */
#define SDES_CNAME 1

/* ---- 24-bit signed fields ---------------------------------------------- */

static int32_t sign_extend24(uint32_t v)
{
    return (v & 0x800000) ? (int32_t)v - 0x1000000 : (int32_t)v;
}

/* ---- walking ------------------------------------------------------------- */

void rtcp_iter_init(rtcp_iter *it, const uint8_t *buf, size_t len)
{
    it->buf = buf;
    it->len = buf ? len : 0;
    it->off = 0;
}

/* RFC 3550 6.4.1: only the last packet of a compound may carry padding, and
 * the count byte includes itself. */
static bool padding_ok(const uint8_t *d, size_t plen, bool last)
{
    if (!(d[0] & 0x20))
        return true;
    return last && d[plen - 1] != 0 && d[plen - 1] <= plen - HDR_LEN;
}

int rtcp_next(rtcp_iter *it, rtcp_packet *p)
{
    if (it->off == it->len)
        return 0;
    if (it->off > it->len || it->len - it->off < HDR_LEN)
        return -1;
    const uint8_t *d = it->buf + it->off;
    size_t rest = it->len - it->off;
    size_t plen = 4 * ((size_t)be16_read(d + 2) + 1);
    if (d[0] >> 6 != 2 || plen > rest || !padding_ok(d, plen, plen == rest))
        return -1;
    p->type = d[1];
    p->count = d[0] & 0x1F;
    p->data = d;
    p->len = plen;
    it->off += plen;
    return 1;
}

bool rtcp_is_valid_compound(const uint8_t *buf, size_t len)
{
    if (!buf || len == 0)
        return false;
    rtcp_iter it;
    rtcp_packet p;
    int r;
    rtcp_iter_init(&it, buf, len);
    while ((r = rtcp_next(&it, &p)) == 1)
        continue;
    return r == 0;
}

/* Length of p without its padding; 0 when p is not a sane packet. Parsers go
 * through this rather than trusting that p came from rtcp_next. */
static size_t body_len(const rtcp_packet *p)
{
    if (!p || !p->data || p->len < HDR_LEN || p->data[0] >> 6 != 2)
        return 0;
    if (!(p->data[0] & 0x20))
        return p->len;
    uint8_t pad = p->data[p->len - 1];
    return pad != 0 && pad <= p->len - HDR_LEN ? p->len - pad : 0;
}

static uint8_t count_of(const rtcp_packet *p)
{
    return p->data[0] & 0x1F;
}

static bool is_fb(const rtcp_packet *p, uint8_t type, uint8_t fmt)
{
    return p && p->data && p->len >= HDR_LEN && p->data[1] == type && count_of(p) == fmt;
}

uint32_t rtcp_sender_ssrc(const rtcp_packet *p)
{
    return body_len(p) >= 8 ? be32_read(p->data + 4) : 0;
}

/* ---- reports --------------------------------------------------------------- */

static void read_block(const uint8_t *b, rtcp_report_block *r)
{
    r->ssrc = be32_read(b);
    r->fraction_lost = b[4];
    r->cumulative_lost = sign_extend24(be24_read(b + 5));
    r->highest_seq = be32_read(b + 8);
    r->jitter = be32_read(b + 12);
    r->lsr = be32_read(b + 16);
    r->dlsr = be32_read(b + 20);
}

/* Extra bytes after the blocks are allowed: RFC 3550 6.4.1 profile extensions. */
static bool report_fits(const rtcp_packet *p, uint8_t type, size_t fixed)
{
    if (!p || !p->data || p->len < HDR_LEN || p->data[1] != type)
        return false;
    return body_len(p) >= fixed + (size_t)BLOCK_LEN * count_of(p);
}

int rtcp_parse_sr(const rtcp_packet *p, rtcp_sr *sr)
{
    if (!sr || !report_fits(p, RTCP_SR, SR_LEN))
        return -1;
    const uint8_t *d = p->data;
    sr->ssrc = be32_read(d + 4);
    sr->ntp_sec = be32_read(d + 8);
    sr->ntp_frac = be32_read(d + 12);
    sr->rtp_timestamp = be32_read(d + 16);
    sr->packet_count = be32_read(d + 20);
    sr->octet_count = be32_read(d + 24);
    sr->n_blocks = count_of(p);
    for (size_t i = 0; i < sr->n_blocks; i++)
        read_block(d + SR_LEN + BLOCK_LEN * i, &sr->blocks[i]);
    return 0;
}

int rtcp_parse_rr(const rtcp_packet *p, rtcp_rr *rr)
{
    if (!rr || !report_fits(p, RTCP_RR, RR_LEN))
        return -1;
    rr->ssrc = be32_read(p->data + 4);
    rr->n_blocks = count_of(p);
    for (size_t i = 0; i < rr->n_blocks; i++)
        read_block(p->data + RR_LEN + BLOCK_LEN * i, &rr->blocks[i]);
    return 0;
}

/* ---- SDES and BYE ---------------------------------------------------------- */

static void copy_cname(const uint8_t *text, size_t n, char *cname, size_t cap)
{
    if (!cname || cap == 0)
        return;
    if (n > cap - 1)
        n = cap - 1;
    memcpy(cname, text, n);
    cname[n] = '\0';
}

/* Walks one chunk's items from *pos (just past its SSRC) to the next 32-bit
 * boundary after the null item. Sets *cname_at to the CNAME item, if any. */
static int sdes_items(const uint8_t *d, size_t body, size_t *pos, size_t *cname_at)
{
    size_t at = *pos;
    while (at < body && d[at] != 0) {
        if (body - at < 2 || d[at + 1] > body - at - 2)
            return -1;
        if (d[at] == SDES_CNAME && *cname_at == 0)
            *cname_at = at;
        at += 2 + (size_t)d[at + 1];
    }
    if (at >= body)
        return -1;  /* the list must end with a null octet */
    at = (at + 4) & ~(size_t)3;
    if (at > body)
        return -1;
    *pos = at;
    return 0;
}

/* Every chunk is validated, not just the one holding the CNAME, so that a
 * corrupt packet is refused as a whole. Without any CNAME it returns -1 too. */
int rtcp_parse_sdes_cname(const rtcp_packet *p, uint32_t *ssrc, char *cname, size_t cap)
{
    size_t body = body_len(p);
    if (body < HDR_LEN || p->data[1] != RTCP_SDES)
        return -1;
    const uint8_t *d = p->data;
    size_t pos = HDR_LEN, found = 0;
    uint32_t found_ssrc = 0;
    for (uint8_t c = 0; c < count_of(p); c++) {
        if (body - pos < 4)
            return -1;
        uint32_t chunk_ssrc = be32_read(d + pos);
        size_t before = found;
        pos += 4;
        if (sdes_items(d, body, &pos, &found) != 0)
            return -1;
        if (found != before)
            found_ssrc = chunk_ssrc;
    }
    if (pos != body || found == 0)
        return -1;
    if (ssrc)
        *ssrc = found_ssrc;
    copy_cname(d + found + 2, d[found + 1], cname, cap);
    return 0;
}

/* The optional reason is a length byte and text, then null octets up to the
 * next 32-bit boundary and nothing else. */
static bool bye_reason_ok(const uint8_t *d, size_t pos, size_t body)
{
    if (pos == body)
        return true;
    size_t end = pos + 1 + d[pos];
    return end <= body && body - end < 4;
}

int rtcp_parse_bye(const rtcp_packet *p, uint32_t *ssrcs, size_t cap, size_t *n)
{
    size_t body = body_len(p);
    if (!n || body < HDR_LEN || p->data[1] != RTCP_BYE)
        return -1;
    size_t sc = count_of(p), list_end = HDR_LEN + 4 * sc;
    if (body < list_end || !bye_reason_ok(p->data, list_end, body))
        return -1;
    *n = 0;
    for (size_t i = 0; i < sc && *n < cap && ssrcs; i++)
        ssrcs[(*n)++] = be32_read(p->data + HDR_LEN + 4 * i);
    return 0;
}

/* ---- feedback -------------------------------------------------------------- */

int rtcp_parse_fb(const rtcp_packet *p, rtcp_fb *fb)
{
    size_t body = body_len(p);
    if (!fb || body < FB_HDR_LEN || (p->data[1] != RTCP_RTPFB && p->data[1] != RTCP_PSFB))
        return -1;
    fb->sender_ssrc = be32_read(p->data + 4);
    fb->media_ssrc = be32_read(p->data + 8);
    fb->fci = p->data + FB_HDR_LEN;
    fb->fci_len = body - FB_HDR_LEN;
    return 0;
}

/* Parses the common feedback part of a packet that must be type/fmt and whose
 * FCI must be a non-empty whole number of unit-sized entries. */
static int parse_fb_units(const rtcp_packet *p, uint8_t type, uint8_t fmt, size_t unit, rtcp_fb *fb)
{
    if (!is_fb(p, type, fmt) || rtcp_parse_fb(p, fb) != 0)
        return -1;
    return fb->fci_len >= unit && fb->fci_len % unit == 0 ? 0 : -1;
}

int rtcp_parse_nack(const rtcp_packet *p, uint32_t *media_ssrc, uint16_t *seqs, size_t cap, size_t *n)
{
    rtcp_fb fb;
    if (!n || parse_fb_units(p, RTCP_RTPFB, RTCP_FMT_NACK, 4, &fb) != 0)
        return -1;
    if (media_ssrc)
        *media_ssrc = fb.media_ssrc;
    *n = 0;
    for (size_t i = 0; i < fb.fci_len && seqs; i += 4) {
        uint16_t pid = be16_read(fb.fci + i), blp = be16_read(fb.fci + i + 2);
        if (*n < cap)
            seqs[(*n)++] = pid;
        for (unsigned bit = 0; bit < 16 && *n < cap; bit++)
            if (blp & (1u << bit))
                seqs[(*n)++] = (uint16_t)(pid + bit + 1);
    }
    return 0;
}

int rtcp_parse_fir(const rtcp_packet *p, rtcp_fir_entry *entries, size_t cap, size_t *n)
{
    rtcp_fb fb;
    if (!n || parse_fb_units(p, RTCP_PSFB, RTCP_FMT_FIR, 8, &fb) != 0)
        return -1;
    *n = 0;
    for (size_t i = 0; i < fb.fci_len && *n < cap && entries; i += 8) {
        entries[*n].ssrc = be32_read(fb.fci + i);
        entries[*n].seq = fb.fci[i + 4];
        (*n)++;
    }
    return 0;
}

/* mantissa << exp must fit 64 bits; anything larger was not encoded honestly. */
static int remb_bitrate(const uint8_t *b, uint64_t *bitrate)
{
    unsigned exp = b[0] >> 2;
    uint64_t mantissa = be24_read(b) & 0x3FFFF;
    if (exp > 46 && (mantissa >> (64 - exp)) != 0)
        return -1;
    *bitrate = mantissa << exp;
    return 0;
}

int rtcp_parse_remb(const rtcp_packet *p, uint64_t *bitrate, uint32_t *ssrcs, size_t cap, size_t *n)
{
    rtcp_fb fb;
    uint64_t rate;
    if (!n || !is_fb(p, RTCP_PSFB, RTCP_FMT_AFB) || rtcp_parse_fb(p, &fb) != 0)
        return -1;
    if (fb.fci_len < REMB_FCI_LEN || memcmp(fb.fci, "REMB", 4) != 0)
        return -1;
    size_t num = fb.fci[4];
    if (fb.fci_len != REMB_FCI_LEN + 4 * num || remb_bitrate(fb.fci + 5, &rate) != 0)
        return -1;
    if (bitrate)
        *bitrate = rate;
    *n = 0;
    for (size_t i = 0; i < num && *n < cap && ssrcs; i++)
        ssrcs[(*n)++] = be32_read(fb.fci + REMB_FCI_LEN + 4 * i);
    return 0;
}

/* Only the fixed FCI header is decoded; a non-zero status count needs at
 * least one 2-byte packet status chunk after it. */
int rtcp_parse_twcc(const rtcp_packet *p, uint32_t *media_ssrc, rtcp_twcc_header *h)
{
    rtcp_fb fb;
    if (!h || !is_fb(p, RTCP_RTPFB, RTCP_FMT_TWCC) || rtcp_parse_fb(p, &fb) != 0)
        return -1;
    if (fb.fci_len < TWCC_FCI_LEN)
        return -1;
    uint16_t status_count = be16_read(fb.fci + 2);
    if (status_count > 0 && fb.fci_len < TWCC_FCI_LEN + 2)
        return -1;
    if (media_ssrc)
        *media_ssrc = fb.media_ssrc;
    h->base_seq = be16_read(fb.fci);
    h->status_count = status_count;
    h->reference_time = sign_extend24(be24_read(fb.fci + 4));
    h->fb_count = fb.fci[7];
    return 0;
}

/* ---- builders -------------------------------------------------------------- */

/* len is the whole packet in bytes, always a multiple of 4 here. */
static void put_header(uint8_t *out, uint8_t count, uint8_t type, size_t len)
{
    out[0] = (uint8_t)(0x80 | count);
    out[1] = type;
    be16_write(out + 2, (uint16_t)(len / 4 - 1));
}

static void put_fb_header(uint8_t *out, uint8_t fmt, uint8_t type, size_t len,
                          uint32_t sender_ssrc, uint32_t media_ssrc)
{
    put_header(out, fmt, type, len);
    be32_write(out + 4, sender_ssrc);
    be32_write(out + 8, media_ssrc);
}

/* RFC 3550 A.3: cumulative loss saturates rather than wrapping in 24 bits. */
static void write_block(uint8_t *b, const rtcp_report_block *r)
{
    int32_t lost = r->cumulative_lost;
    if (lost > 0x7FFFFF)
        lost = 0x7FFFFF;
    if (lost < -0x800000)
        lost = -0x800000;
    be32_write(b, r->ssrc);
    b[4] = r->fraction_lost;
    be24_write(b + 5, (uint32_t)lost & 0xFFFFFF);
    be32_write(b + 8, r->highest_seq);
    be32_write(b + 12, r->jitter);
    be32_write(b + 16, r->lsr);
    be32_write(b + 20, r->dlsr);
}

size_t rtcp_build_sr(uint8_t *out, size_t cap, const rtcp_sr *sr)
{
    if (!out || !sr || sr->n_blocks > MAX_COUNT)
        return 0;
    size_t len = SR_LEN + (size_t)BLOCK_LEN * sr->n_blocks;
    if (cap < len)
        return 0;
    put_header(out, sr->n_blocks, RTCP_SR, len);
    be32_write(out + 4, sr->ssrc);
    be32_write(out + 8, sr->ntp_sec);
    be32_write(out + 12, sr->ntp_frac);
    be32_write(out + 16, sr->rtp_timestamp);
    be32_write(out + 20, sr->packet_count);
    be32_write(out + 24, sr->octet_count);
    for (size_t i = 0; i < sr->n_blocks; i++)
        write_block(out + SR_LEN + BLOCK_LEN * i, &sr->blocks[i]);
    return len;
}

size_t rtcp_build_rr(uint8_t *out, size_t cap, uint32_t sender_ssrc,
                     const rtcp_report_block *blocks, size_t n)
{
    if (!out || n > MAX_COUNT || (n > 0 && !blocks))
        return 0;
    size_t len = RR_LEN + BLOCK_LEN * n;
    if (cap < len)
        return 0;
    put_header(out, (uint8_t)n, RTCP_RR, len);
    be32_write(out + 4, sender_ssrc);
    for (size_t i = 0; i < n; i++)
        write_block(out + RR_LEN + BLOCK_LEN * i, &blocks[i]);
    return len;
}

size_t rtcp_build_sdes_cname(uint8_t *out, size_t cap, uint32_t ssrc, const char *cname)
{
    if (!out || !cname)
        return 0;
    size_t n = strlen(cname);
    /* chunk: SSRC, CNAME item, at least one null octet, then 32-bit aligned */
    size_t len = HDR_LEN + ((4 + 2 + n + 1 + 3) & ~(size_t)3);
    if (n > 255 || cap < len)
        return 0;
    memset(out, 0, len);
    put_header(out, 1, RTCP_SDES, len);
    be32_write(out + 4, ssrc);
    out[8] = SDES_CNAME;
    out[9] = (uint8_t)n;
    memcpy(out + 10, cname, n);
    return len;
}

size_t rtcp_build_bye(uint8_t *out, size_t cap, const uint32_t *ssrcs, size_t n)
{
    if (!out || n > MAX_COUNT || (n > 0 && !ssrcs))
        return 0;
    size_t len = HDR_LEN + 4 * n;
    if (cap < len)
        return 0;
    put_header(out, (uint8_t)n, RTCP_BYE, len);
    for (size_t i = 0; i < n; i++)
        be32_write(out + HDR_LEN + 4 * i, ssrcs[i]);
    return len;
}

size_t rtcp_build_pli(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    if (!out || cap < FB_HDR_LEN)
        return 0;
    put_fb_header(out, RTCP_FMT_PLI, RTCP_PSFB, FB_HDR_LEN, sender_ssrc, media_ssrc);
    return FB_HDR_LEN;
}

/* RFC 5104 4.3.1: the media SSRC field is unused (0); the target goes in the FCI. */
size_t rtcp_build_fir(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t seq)
{
    size_t len = FB_HDR_LEN + 8;
    if (!out || cap < len)
        return 0;
    put_fb_header(out, RTCP_FMT_FIR, RTCP_PSFB, len, sender_ssrc, 0);
    be32_write(out + FB_HDR_LEN, media_ssrc);
    out[FB_HDR_LEN + 4] = seq;
    be24_write(out + FB_HDR_LEN + 5, 0);
    return len;
}

/* ---- NACK packing ----------------------------------------------------------
 * A bitmap of the whole 16-bit space removes duplicates and sorts in O(n).
 * Circular order starts just after the widest gap between requested numbers,
 * so a list straddling 65535 -> 0 packs as one run. */

#define SEQ_WORDS (65536 / 64)

/* First set bit at or after from, or -1. */
static int32_t next_set(const uint64_t *bits, uint32_t from)
{
    if (from >= 65536)
        return -1;
    size_t w = from / 64;
    uint64_t x = bits[w] & (~0ULL << (from % 64));
    while (x == 0) {
        if (++w == SEQ_WORDS)
            return -1;
        x = bits[w];
    }
    return (int32_t)(w * 64 + (size_t)__builtin_ctzll(x));
}

static uint16_t circular_start(const uint64_t *bits)
{
    int32_t first = next_set(bits, 0), prev = first, s;
    uint32_t widest = 0;
    uint16_t start = (uint16_t)first;
    while ((s = next_set(bits, (uint32_t)prev + 1)) >= 0) {
        if ((uint32_t)(s - prev) > widest) {
            widest = (uint32_t)(s - prev);
            start = (uint16_t)s;
        }
        prev = s;
    }
    if ((uint32_t)(first + 65536 - prev) >= widest)
        start = (uint16_t)first;
    return start;
}

typedef struct nack_writer {
    uint8_t *fci;
    size_t cap;      /* bytes available for FCI */
    size_t used;
    bool open;
    uint16_t pid, pid_off, blp;
} nack_writer;

static bool nack_flush(nack_writer *w)
{
    if (!w->open)
        return true;
    if (w->cap - w->used < 4)
        return false;
    be16_write(w->fci + w->used, w->pid);
    be16_write(w->fci + w->used + 2, w->blp);
    w->used += 4;
    w->open = false;
    return true;
}

/* off is seq's distance from the circular start; calls come in increasing off. */
static bool nack_add(nack_writer *w, uint16_t seq, uint16_t off)
{
    if (w->open && off - w->pid_off <= 16) {
        w->blp |= (uint16_t)(1u << (off - w->pid_off - 1));
        return true;
    }
    if (!nack_flush(w))
        return false;
    w->open = true;
    w->pid = seq;
    w->pid_off = off;
    w->blp = 0;
    return true;
}

static bool nack_pack(const uint64_t *bits, nack_writer *w)
{
    uint16_t start = circular_start(bits);
    int32_t s;
    for (s = next_set(bits, start); s >= 0; s = next_set(bits, (uint32_t)s + 1))
        if (!nack_add(w, (uint16_t)s, (uint16_t)(s - start)))
            return false;
    for (s = next_set(bits, 0); s >= 0 && s < start; s = next_set(bits, (uint32_t)s + 1))
        if (!nack_add(w, (uint16_t)s, (uint16_t)(s + 65536 - start)))
            return false;
    return nack_flush(w);
}

size_t rtcp_build_nack(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       const uint16_t *seqs, size_t n)
{
    uint64_t bits[SEQ_WORDS];
    if (!out || !seqs || n == 0 || cap < FB_HDR_LEN + 4)
        return 0;
    memset(bits, 0, sizeof bits);
    for (size_t i = 0; i < n; i++)
        bits[seqs[i] / 64] |= 1ULL << (seqs[i] % 64);
    nack_writer w = { .fci = out + FB_HDR_LEN, .cap = cap - FB_HDR_LEN };
    if (!nack_pack(bits, &w))
        return 0;
    size_t len = FB_HDR_LEN + w.used;
    put_fb_header(out, RTCP_FMT_NACK, RTCP_RTPFB, len, sender_ssrc, media_ssrc);
    return len;
}

/* ---- REMB ------------------------------------------------------------------ */

/* Smallest exponent whose mantissa fits 18 bits; the mantissa is rounded down
 * so the estimate never grows in transit. */
static void remb_encode(uint64_t bitrate, uint8_t *exp, uint32_t *mantissa)
{
    uint8_t e = 0;
    while ((bitrate >> e) > 0x3FFFF)
        e++;
    *exp = e;
    *mantissa = (uint32_t)(bitrate >> e);
}

/* draft-alvestrand-rmcat-remb: the media SSRC field is 0, SSRCs go in the FCI. */
size_t rtcp_build_remb(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint64_t bitrate,
                       const uint32_t *ssrcs, size_t n)
{
    if (!out || n > 255 || (n > 0 && !ssrcs))
        return 0;
    size_t len = FB_HDR_LEN + REMB_FCI_LEN + 4 * n;
    if (cap < len)
        return 0;
    uint8_t exp;
    uint32_t mantissa;
    remb_encode(bitrate, &exp, &mantissa);
    put_fb_header(out, RTCP_FMT_AFB, RTCP_PSFB, len, sender_ssrc, 0);
    uint8_t *fci = out + FB_HDR_LEN;
    memcpy(fci, "REMB", 4);
    fci[4] = (uint8_t)n;
    be24_write(fci + 5, (uint32_t)exp << 18 | mantissa);
    for (size_t i = 0; i < n; i++)
        be32_write(fci + REMB_FCI_LEN + 4 * i, ssrcs[i]);
    return len;
}
